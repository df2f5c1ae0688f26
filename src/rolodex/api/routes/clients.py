"""Native client routes: /clients."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.api import errors
from rolodex.api.deps import DbSession, ReadScope, WriteScope, read_session
from rolodex.api.errors import error_docs
from rolodex.api.fastlane import Lane
from rolodex.api.http import (
    bool_param,
    if_match,
    include_option,
    json_response,
    list_query,
    only_params,
    page_json,
    page_meta,
    query_parameter,
    raw_json_response,
    set_etag,
    timestamp_param,
)
from rolodex.core.clients import documents, embeds
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import EXAMPLE, ClientCreate, ClientList, ClientRead, ClientUpdate
from rolodex.core.db import read_pool, session_scope
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
    return await answer_create(session, principal, body, response)


async def answer_create(
    session: AsyncSession, principal: Principal, body: ClientCreate, response: Response
) -> Response:
    """The route's answer, and the fast lane's (api/fastlane.py)."""
    shown = await clients_service.create_view(session, principal, body)
    set_etag(response, shown["version"])
    return json_response(shown, ClientRead, response, status_code=201)


async def lane_create(
    request: Request, principal: Principal, response: Response
) -> Response | None:
    """POST /clients in the fast lane: None, before anything is written, when the body is not a
    valid ClientCreate (the route answers its 400); else the create in a transaction of its own
    (get_session's), its errors answered as the route's would be."""
    try:
        # As FastAPI reads the route's body, the model in Python mode, but parsed by orjson:
        # what it refuses and the JSON module takes (NaN, integers past 64 bits, lone
        # surrogates) goes on to the route, which parses as FastAPI does.
        body = ClientCreate.model_validate(orjson.loads(await request.body()))
    except ValueError:  # bad JSON, bad text, or pydantic's ValidationError
        return None
    try:
        async with session_scope(request.app.state.sessions) as session:
            return await answer_create(session, principal, body, response)
    except Exception as exc:
        return await errors.handled(request, exc)


# The list's parameters, for OpenAPI: the route reads them from the request itself
# (listing.parse_list_query validates them), so that api/fastlane.py can answer it the same way.
LIST_PARAMETERS = [
    query_parameter("page", "page number, from 1", {"type": "integer", "minimum": 1}),
    query_parameter(
        "limit", "1..200, default 20", {"type": "integer", "minimum": 1, "maximum": 200}
    ),
    query_parameter("cursor", "meta.nextCursor of the previous page"),
    query_parameter("sort", "fields, `-` for descending", example="-createdAt,name"),
    query_parameter("order", "asc or desc, with a single sort field", {"enum": ["asc", "desc"]}),
    query_parameter("q", "search", {"type": "string", "maxLength": 200}),
    query_parameter("status", "e.g. ACTIVE,PROSPECT"),
    query_parameter("include", "contactPersons,addresses"),
    query_parameter("includeDeleted", "soft-deleted clients too", {"type": "boolean"}),
]
ONE_PARAMETERS = [
    query_parameter("includeDeleted", "a soft-deleted client too", {"type": "boolean"}),
    query_parameter(
        "asOf",
        "a past moment (ISO 8601): the client as it was then, from its history "
        "(contactPersons and addresses are not included)",
        example="2024-05-01T12:00:00.000Z",
    ),
]


@router.get(
    "",
    response_model=ClientList,
    responses=error_docs(),
    openapi_extra={"parameters": LIST_PARAMETERS},
)
async def list_clients(request: Request, principal: ReadScope, response: Response) -> Any:
    """List clients: filters, sort, page or cursor (see the list conventions)."""
    return await answer_list(request, principal, response)


async def answer_list(request: Request, principal: Principal, response: Response) -> Response:
    """`list_clients`' answer (also api/fastlane.py's)."""
    async with read_session(request) as session:
        names = include_option(request, documents.EMBEDDABLE)
        spec = await clients_service.list_spec(
            session, principal, request.query_params.multi_items()
        )
        query = list_query(request, spec, extra=("include",))
        pool = read_pool(request.app.state.engine)
        if pool is not None:  # PostgreSQL: the JSON the database writes
            found = await clients_service.list_documents(
                session, pool, principal, query, spec=spec, include=names
            )
            return raw_json_response(page_json(found.items, found), response)
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
        return json_response({"data": data, "meta": page_meta(result)}, ClientList, response)


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
    openapi_extra={"parameters": ONE_PARAMETERS},
)
async def get_client(
    client_id: ClientId, request: Request, principal: ReadScope, response: Response
) -> Any:
    """One client, with its contact persons (main first) and addresses; or as it was at asOf."""
    return await answer_one(request, principal, response, client_id)


async def answer_one(
    request: Request, principal: Principal, response: Response, client_id: UUID
) -> Response:
    """`get_client`'s answer (also api/fastlane.py's)."""
    only_params(request, ("includeDeleted", "asOf"))
    include_deleted = bool_param(request, "includeDeleted")
    moment = timestamp_param(request, "asOf")
    pool = read_pool(request.app.state.engine)
    if pool is not None and moment is None:  # PostgreSQL: the JSON the database writes
        found = await clients_service.get_document(
            pool, principal, client_id, include_deleted=include_deleted
        )
        set_etag(response, found.version)
        return raw_json_response(found.body, response)
    async with read_session(request) as session:
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


def route_of(endpoint: Any) -> APIRoute:
    """This router's route for `endpoint` (what the router puts in scope["route"])."""
    return next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is endpoint)


def fast_lanes() -> list[Lane]:
    """The routes api/fastlane.py answers beside FastAPI, and how."""

    async def one(
        request: Request, principal: Principal, response: Response, params: dict[str, str]
    ) -> Response:
        return await answer_one(request, principal, response, UUID(params["client_id"]))

    async def page(
        request: Request, principal: Principal, response: Response, params: dict[str, str]
    ) -> Response:
        return await answer_list(request, principal, response)

    async def create(
        request: Request, principal: Principal, response: Response, params: dict[str, str]
    ) -> Response | None:
        return await lane_create(request, principal, response)

    return [
        Lane(route_of(get_client), one),
        Lane(route_of(list_clients), page),
        Lane(route_of(create_client), create, Scope.WRITE, "POST"),
    ]
