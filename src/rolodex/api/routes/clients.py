"""Native client routes: /clients."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.api.deps import DbSession, ReadScope, WriteScope, read_session
from rolodex.api.errors import error_docs
from rolodex.api.http import (
    bool_param,
    if_match,
    include_option,
    json_response,
    list_query,
    only_params,
    page_meta,
    set_etag,
    timestamp_param,
)
from rolodex.core.clients import embeds
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import EXAMPLE, ClientCreate, ClientList, ClientRead, ClientUpdate
from rolodex.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from rolodex.core.events import repository as events_repository
from rolodex.core.events import service as events_service
from rolodex.core.events.schemas import HistoryList
from rolodex.core.principal import Principal, Scope

router = APIRouter(prefix="/clients", tags=["clients"])

ClientId = Annotated[UUID, Path(description="The client's id (UUID)")]
ExternalId = Annotated[str, Path(description="The client's externalId", max_length=255)]
ETAG_HEADER = {
    "ETag": {"description": "the client's version, for If-Match", "schema": {"type": "string"}}
}


async def _one(session: AsyncSession, principal: Principal, client: Client) -> dict[str, Any]:
    embedded = await embeds.load(session, principal, [client.id])
    return clients_service.with_embedded(client, embedded[client.id])


@router.post(
    "",
    status_code=201,
    response_model=ClientRead,
    responses={201: {"headers": ETAG_HEADER}, **error_docs(Conflict)},
)
async def create_client(
    body: Annotated[ClientCreate, Body(openapi_examples={"company": {"value": EXAMPLE}})],
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Create a client (with contact persons and addresses, all or nothing)."""
    client = await clients_service.create(session, principal, body)
    set_etag(response, client.version)
    return json_response(
        await _one(session, principal, client), ClientRead, response, status_code=201
    )


@router.get("", response_model=ClientList, responses=error_docs())
async def list_clients(
    request: Request,
    principal: ReadScope,
    response: Response,
    page: Annotated[int | None, Query(description="page number, from 1", ge=1)] = None,
    limit: Annotated[int | None, Query(description="1..200, default 20", ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(description="meta.nextCursor of the previous page")] = None,
    sort: Annotated[
        str | None, Query(description="fields, `-` for descending", examples=["-createdAt,name"])
    ] = None,
    order: Annotated[str | None, Query(pattern="^(asc|desc)$")] = None,
    q: Annotated[str | None, Query(description="search", max_length=200)] = None,
    status: Annotated[str | None, Query(description="e.g. ACTIVE,PROSPECT")] = None,
    include: Annotated[str | None, Query(description="contactPersons,addresses")] = None,
    includeDeleted: Annotated[bool | None, Query()] = None,  # noqa: N803
) -> Any:
    """List clients: filters, sort, page or cursor (see the list conventions)."""
    async with read_session(request) as session:
        names = include_option(request, embeds.EMBEDDABLE)
        spec = await clients_service.list_spec(
            session, principal, request.query_params.multi_items()
        )
        query = list_query(request, spec, extra=("include",))
        result = await clients_service.list_page(session, principal, query, plain=True)
        embedded = (
            await embeds.load(session, principal, [c.id for c in result.items], names)
            if names
            else {}
        )
        data = [
            clients_service.with_embedded(clients_service.plain(row), embedded.get(row.id, {}))
            for row in result.items
        ]
        meta = {
            "total": result.total,
            "page": result.page,
            "limit": result.limit,
            "pageCount": result.page_count,
            "nextCursor": result.next_cursor,
        }
        return json_response({"data": data, "meta": meta}, ClientList, response)


@router.get(
    "/external-id/{external_id}",
    response_model=ClientRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_client_by_external_id(
    external_id: ExternalId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    response: Response,
) -> Any:
    """One client by its externalId."""
    only_params(request, ())
    client = await clients_service.get_by_external_id(session, principal, external_id)
    set_etag(response, client.version)
    return await _one(session, principal, client)


@router.put(
    "/external-id/{external_id}",
    response_model=ClientRead,
    responses={201: {"model": ClientRead, "description": "created"}, **error_docs(Conflict)},
)
async def upsert_client_by_external_id(
    external_id: ExternalId,
    body: ClientCreate,
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Create (201) or replace (200) the client with this externalId."""
    client, created = await clients_service.upsert_by_external_id(
        session, principal, external_id, body
    )
    response.status_code = 201 if created else 200
    set_etag(response, client.version)
    return await _one(session, principal, client)


@router.get(
    "/{client_id}",
    response_model=ClientRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_client(
    client_id: ClientId,
    request: Request,
    principal: ReadScope,
    response: Response,
    includeDeleted: Annotated[bool | None, Query()] = None,  # noqa: N803
    asOf: Annotated[  # noqa: N803
        str | None,
        Query(
            description="a past moment (ISO 8601): the client as it was then, from its history "
            "(contactPersons and addresses are not included)",
            examples=["2024-05-01T12:00:00.000Z"],
        ),
    ] = None,
) -> Any:
    """One client, with its contact persons (main first) and addresses; or as it was at asOf."""
    async with read_session(request) as session:
        only_params(request, ("includeDeleted", "asOf"))
        include_deleted = bool_param(request, "includeDeleted")
        moment = timestamp_param(request, "asOf")
        if moment is not None:
            past = await clients_service.get_as_of(
                session, principal, client_id, moment, include_deleted=include_deleted
            )
            set_etag(response, past["version"])
            return json_response(past, ClientRead, response)
        shown = await clients_service.get_view(
            session, principal, client_id, include_deleted=include_deleted
        )
        set_etag(response, shown["version"])
        return json_response(shown, ClientRead, response)


@router.get("/{client_id}/history", response_model=HistoryList, responses=error_docs(NotFound))
async def client_history(
    client_id: ClientId, request: Request, principal: ReadScope, session: DbSession
) -> Any:
    """The client's changes, newest first: who, when, and each field's before and after."""
    query = list_query(request, events_repository.HISTORY_SPEC)
    page = await clients_service.history(session, principal, client_id, query)
    return {
        "data": [events_service.history_entry(event) for event in page.items],
        "meta": page_meta(page),
    }


@router.patch(
    "/{client_id}",
    response_model=ClientRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound, Conflict, PreconditionFailed)},
)
async def update_client(
    client_id: ClientId,
    body: ClientUpdate,
    request: Request,
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Update some fields: absent stays, `null` clears; honours If-Match."""
    shown = await clients_service.update_view(
        session, principal, client_id, body, if_match=if_match(request)
    )
    set_etag(response, shown["version"])
    return json_response(shown, ClientRead, response)


@router.delete(
    "/{client_id}", response_model=ClientRead, responses=error_docs(NotFound, PreconditionFailed)
)
async def delete_client(
    client_id: ClientId,
    request: Request,
    principal: WriteScope,
    session: DbSession,
    permanent: Annotated[bool | None, Query(description="purge for good (admin scope)")] = None,
) -> Any:
    """Soft-delete a client (restorable), or purge it with permanent=true."""
    only_params(request, ("permanent",))
    purge = bool_param(request, "permanent")
    if purge and not principal.allows(Scope.ADMIN):
        raise Forbidden("Permanent deletion needs the admin scope")
    client = await _one(
        session,
        principal,
        await clients_service.get(session, principal, client_id, include_deleted=purge),
    )
    deleted = await clients_service.delete(
        session, principal, client_id, permanent=purge, if_match=if_match(request)
    )
    if purge:
        return client
    return await _one(session, principal, deleted)


@router.post("/{client_id}/restore", response_model=ClientRead, responses=error_docs(NotFound))
async def restore_client(client_id: ClientId, principal: WriteScope, session: DbSession) -> Any:
    """Undo a soft delete (a live client is answered unchanged)."""
    client = await clients_service.restore(session, principal, client_id)
    return await _one(session, principal, client)
