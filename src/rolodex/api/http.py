"""Small HTTP helpers shared by the native routes and the dialects."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import TypeAdapter
from starlette.convertors import PathConvertor, register_url_convertor

from rolodex.core import listing
from rolodex.core.errors import Invalid, PreconditionFailed
from rolodex.core.schemas import json_value

_SPACED_OFFSET = re.compile(r"([T ][0-9:.]+) ([0-9]{2}:?[0-9]{2})$")
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')


class AnyTextConvertor(PathConvertor):
    """Starlette's `path` (slashes included), line breaks included too: its `.*` stops at a
    newline, so a path parameter holding one matched no route (404)."""

    regex = "(?s:.*)"


# `{name:text}` in a route path: a parameter that may hold any character.
register_url_convertor("text", AnyTextConvertor())


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def json_response(
    content: Any, model: Any, response: Response, *, status_code: int = 200
) -> Response:
    """`content` (what the route would return for its `response_model`, `model`) as JSON made
    by orjson, with the headers set on the request's `response` (ETag, rate limit).

    FastAPI would validate `content` against the model and serialize it with pydantic: 60 µs
    per client, three milliseconds for a page of 50. The values here are already what the
    model holds (tests/api/test_json_response.py checks they come out the same); anything
    orjson cannot write (an integer beyond 64 bits in metadata) goes the pydantic way.
    """
    try:
        body = orjson.dumps(content, default=json_value, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        adapter = _adapter(model)
        body = adapter.dump_json(adapter.validate_python(content), by_alias=True)
    return raw_json_response(body, response, status_code=status_code)


def raw_json_response(body: bytes, response: Response, *, status_code: int = 200) -> Response:
    """JSON already written (by orjson, or by the database: clients' documents), with the
    headers set on the request's `response`."""
    answer = Response(body, status_code=response.status_code or status_code)
    answer.headers.raw.extend(response.headers.raw)
    answer.headers["content-type"] = "application/json"
    return answer


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def if_match(request: Request) -> int | None:
    """The version an If-Match header asks for (None when absent or `*`)."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header.split(",")[0])
    if match is None:
        raise PreconditionFailed(f"If-Match {header!r} matches no version of this record")
    return int(match.group(1))


def list_query(
    request: Request, spec: listing.ListSpec, *, extra: Collection[str] = ()
) -> listing.ListQuery:
    """Parse the query string with the shared list mechanism."""
    return listing.parse_list_query(spec, request.query_params.multi_items(), extra=extra)


def include_option(request: Request, allowed: Collection[str]) -> list[str]:
    """`include=contactPersons,addresses` -> the names, each checked."""
    raw = request.query_params.get("include")
    if not raw:
        return []
    names = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise Invalid.field(
            "include", f"unknown: {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    return names


def bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise Invalid.field(name, "must be true or false")


def timestamp_param(request: Request, name: str) -> datetime | None:
    """An ISO 8601 timestamp (UTC when it has no zone; a bare date is its midnight UTC)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        # An unencoded `+` in a query string arrives as a space.
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", raw.strip()))
    except ValueError:
        raise Invalid.field(name, "not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def only_params(request: Request, allowed: Collection[str]) -> None:
    """A 400 naming any query parameter the route does not know."""
    unknown = sorted({k for k in request.query_params if k not in allowed})
    if unknown:
        raise Invalid(
            f"Unknown query parameter: {', '.join(unknown)}",
            details=[Invalid.field(k, "unknown query parameter").details[0] for k in unknown],
        )


def query_parameter(
    name: str,
    description: str,
    schema: dict[str, Any] | None = None,
    *,
    example: Any = None,
) -> dict[str, Any]:
    """An OpenAPI query parameter, for routes that read their query string themselves."""
    found: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }
    if example is not None:
        found["example"] = example
    return found


def page_meta(page: Any) -> dict[str, Any]:
    return {
        "total": page.total,
        "page": page.page,
        "limit": page.limit,
        "pageCount": page.page_count,
        "nextCursor": page.next_cursor,
    }


def page_json(items: list[bytes], page: Any) -> bytes:
    """A list answer, `{"data": [...], "meta": {...}}`, around items already in JSON."""
    meta = orjson.dumps(page_meta(page))
    return b'{"data":[' + b",".join(items) + b'],"meta":' + meta + b"}"
