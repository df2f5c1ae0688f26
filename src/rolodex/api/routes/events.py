"""The change feed: GET /events."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from rolodex.api.deps import DbSession, ReadScope
from rolodex.api.errors import error_docs
from rolodex.api.http import only_params
from rolodex.core.errors import Invalid
from rolodex.core.events import service as events_service
from rolodex.core.events.schemas import EventList

router = APIRouter(tags=["events"])

_COUNT = re.compile(r"[0-9]{1,18}")


def _int(request: Request, name: str, default: int, lowest: int, highest: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _COUNT.fullmatch(raw.strip()) or not lowest <= int(raw) <= highest:
        raise Invalid.field(name, f"must be an integer from {lowest} to {highest}")
    return int(raw)


# The feed pages by `after=<sequence>` (the contract's shape), not through the list mechanism:
# a sequence is the one cursor a consumer can store and resume from.
@router.get("/events", response_model=EventList, responses=error_docs())
async def list_events(
    request: Request,
    principal: ReadScope,
    session: DbSession,
    after: Annotated[
        int | None, Query(description="the last sequence you have seen (0: from the start)")
    ] = None,
    type: Annotated[
        str | None,
        Query(description="comma-separated event types; `client.*` selects a kind"),
    ] = None,
    limit: Annotated[int | None, Query(description="1..1000, default 100")] = None,
) -> Any:
    """The change feed: every committed change of the organization, in sequence order."""
    only_params(request, ("after", "type", "limit"))
    start = _int(request, "after", 0, 0, 2**62)
    size = _int(request, "limit", events_service.DEFAULT_LIMIT, 1, events_service.MAX_LIMIT)
    raw_types = request.query_params.get("type")
    types = [t for t in (raw_types or "").split(",") if t.strip()] or None
    events, next_after = await events_service.feed(
        session, principal, after=start, types=types, limit=size
    )
    return {
        "data": [events_service.to_read(event) for event in events],
        "meta": {"limit": size, "nextAfter": next_after},
    }
