"""Client routes for other systems: external ids, batch, CSV export.

Mounted before routes/clients.py so that `/clients/export`, `/clients/batch` and
`/clients/external-ids/...` are matched before `/clients/{client_id}`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import (
    ErrorResponse,
    error_body,
    error_docs,
    request_id,
    status_of,
    summarize,
    validation_issues,
)
from rolodex.api.http import only_params, set_etag
from rolodex.core.clients import batch, embeds, transfer
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate, ClientRead
from rolodex.core.db import dumps
from rolodex.core.errors import Conflict, NotFound, RolodexError
from rolodex.core.principal import Principal

router = APIRouter(prefix="/clients", tags=["clients"])

System = Annotated[
    str, Path(description="The other system's name", examples=["sap"], max_length=40)
]
ExternalRef = Annotated[
    str, Path(description="The client's id in that system", examples=["4711"], max_length=255)
]
ETAG_HEADER = {
    "ETag": {"description": "the client's version, for If-Match", "schema": {"type": "string"}}
}


async def _one(session: DbSession, principal: Principal, client: Client) -> dict[str, Any]:
    embedded = (await embeds.load(session, principal, [client.id]))[client.id]
    return clients_service.to_read(
        client,
        contact_persons=embedded.get("contactPersons"),
        addresses=embedded.get("addresses"),
    )


@router.get(
    "/external-ids/{system}/{external_id:text}",
    response_model=ClientRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_client_by_external_ref(
    system: System,
    external_id: ExternalRef,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    response: Response,
) -> Any:
    """One client by the id another system gives it (one of its externalIds)."""
    only_params(request, ())
    client = await clients_service.get_by_external_ref(session, principal, system, external_id)
    set_etag(response, client.version)
    return await _one(session, principal, client)


@router.put(
    "/external-ids/{system}/{external_id:text}",
    response_model=ClientRead,
    responses={201: {"model": ClientRead, "description": "created"}, **error_docs(Conflict)},
)
async def upsert_client_by_external_ref(
    system: System,
    external_id: ExternalRef,
    body: ClientCreate,
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Create (201) or replace (200) the client holding this id in that system."""
    client, created = await clients_service.upsert_by_external_ref(
        session, principal, system, external_id, body
    )
    response.status_code = 201 if created else 200
    set_etag(response, client.version)
    return await _one(session, principal, client)


class BatchResult(BaseModel):
    """One operation's outcome: `data` when it succeeded, `error` when it did not."""

    index: int = Field(description="the operation's position in the request, from 0")
    status: int = Field(description="what the single route would have answered", examples=[201])
    data: ClientRead | None = Field(default=None, description="the client, on success")
    error: ErrorResponse | None = Field(default=None, description="the error DTO, on failure")


class BatchResponse(BaseModel):
    results: list[BatchResult]


@router.post(
    "/batch",
    response_model=BatchResponse,
    responses={
        207: {"model": BatchResponse, "description": "some operations failed"},
        **error_docs(),
    },
)
async def batch_clients(
    body: Annotated[batch.BatchRequest, Body()],
    request: Request,
    principal: WriteScope,
    session: DbSession,
) -> Response:
    """Run up to 500 creates, updates, upserts and deletes, each on its own (207 if any fail)."""
    rid = request_id(request)
    results: dict[int, dict[str, Any]] = {}
    parsed: list[tuple[int, batch.Operation]] = []
    for index, raw in enumerate(body.operations):
        try:
            parsed.append((index, batch.parse(raw)))
        except ValidationError as exc:
            issues = validation_issues([dict(err) for err in exc.errors()])
            error = error_body(400, summarize(issues), "VALIDATION_ERROR", issues, rid)
            results[index] = {"index": index, "status": 400, "error": error}
        except RolodexError as exc:
            results[index] = _failure(index, exc, rid)
    outcomes = await batch.run(session, principal, parsed)
    ids = [outcome.data["id"] for outcome in outcomes if outcome.data is not None]
    embedded = await embeds.load(session, principal, ids)
    for outcome in outcomes:
        if outcome.error is not None or outcome.data is None:
            results[outcome.index] = _failure(outcome.index, outcome.error, rid)
            continue
        shown = {**outcome.data, **embedded.get(outcome.data["id"], {})}
        data = ClientRead.model_validate(shown).model_dump(mode="json", by_alias=True)
        status = 201 if outcome.created else 200
        results[outcome.index] = {"index": outcome.index, "status": status, "data": data}
    ordered = [results[index] for index in sorted(results)]
    failed = any("error" in result for result in ordered)
    return Response(
        dumps({"results": ordered}),
        status_code=207 if failed else 200,
        media_type="application/json",
    )


def _failure(index: int, error: RolodexError | None, rid: str) -> dict[str, Any]:
    assert error is not None
    status = status_of(error)
    body = error_body(status, error.message, error.code, error.details, rid)
    return {"index": index, "status": status, "error": body}


@router.get(
    "/export",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {
            "content": {"text/csv": {"example": "id,number,name,...\r\n"}},
            "description": "CSV, a header row of native field names, then one row per client",
        },
        **error_docs(),
    },
)
async def export_clients(
    request: Request,
    principal: ReadScope,
    format: Annotated[Literal["csv"], Query(description="only csv")] = "csv",  # noqa: A002
) -> StreamingResponse:
    """Every client matching the list filters, as CSV, streamed (sorted by number by default)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "format"]
    plan = transfer.plan_export(params)
    sessions = request.app.state.sessions

    async def content() -> AsyncIterator[bytes]:
        async for text in transfer.export_csv(sessions, principal, plan):
            yield text.encode()

    return StreamingResponse(
        content(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="clients.csv"'},
    )
