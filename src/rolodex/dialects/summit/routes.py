"""Summit clients API at /api/clients: parse, map, call the core client services, map back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.core.clients import service as clients_service
from rolodex.core.errors import Conflict, NotFound, RolodexError
from rolodex.dialects.summit import mapping
from rolodex.dialects.summit.schemas import (
    EXAMPLE_CLIENT,
    EXAMPLE_CREATE,
    EXAMPLE_UPDATE,
    SummitClient,
    SummitClientIn,
    SummitClientList,
    SummitClientUpdate,
    SummitListParams,
)

router = APIRouter(prefix="/api/clients", tags=["dialect: Summit"])

ClientId = Annotated[int, Path(description="The client's id (its number in the company)")]


def _answers(status: int, example: Any, *errors: type[RolodexError]) -> dict[int | str, Any]:
    """OpenAPI responses: the success example, then the error DTOs."""
    content = {"application/json": {"example": example}}
    return {status: {"content": content}, **error_docs(*errors)}


@router.get(
    "",
    response_model=SummitClientList,
    responses=_answers(
        200, {"data": [EXAMPLE_CLIENT], "meta": {"total": 1, "page": 1, "limit": 5, "pageCount": 1}}
    ),
)
async def list_clients(
    params: Annotated[SummitListParams, Query()], principal: ReadScope, session: DbSession
) -> Any:
    """List the company's clients: page, limit, sort, order, and q over name or email."""
    query = mapping.to_list_query(params)
    page = await clients_service.list_page(session, principal, query, spec=mapping.LIST_SPEC)
    return mapping.to_summit_list(page, principal.organization_number)


@router.post(
    "",
    status_code=201,
    response_model=SummitClient,
    responses=_answers(201, EXAMPLE_CLIENT, Conflict),
)
async def create_client(
    body: Annotated[SummitClientIn, Body(openapi_examples={"document": {"value": EXAMPLE_CREATE}})],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Create a client; 409 when another client of the company has the email."""
    client = await clients_service.create(session, principal, mapping.to_client_create(body))
    return mapping.to_summit_client(client, principal.organization_number)


@router.get(
    "/{clientId}", response_model=SummitClient, responses=_answers(200, EXAMPLE_CLIENT, NotFound)
)
async def get_client(
    clientId: ClientId,  # noqa: N803 (the document's name)
    principal: ReadScope,
    session: DbSession,
) -> Any:
    """One client by its id."""
    client = await clients_service.get_by_number(session, principal, clientId)
    return mapping.to_summit_client(client, principal.organization_number)


@router.put(
    "/{clientId}",
    response_model=SummitClient,
    responses=_answers(200, EXAMPLE_CLIENT | EXAMPLE_UPDATE, NotFound, Conflict),
)
async def update_client(
    clientId: ClientId,  # noqa: N803
    body: Annotated[
        SummitClientUpdate, Body(openapi_examples={"document": {"value": EXAMPLE_UPDATE}})
    ],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Update the fields given (any subset); absent fields stay as they are."""
    data = mapping.to_client_update(body)
    found = await clients_service.get_by_number(session, principal, clientId)
    client = await clients_service.update(session, principal, found.id, data)
    return mapping.to_summit_client(client, principal.organization_number)


@router.delete(
    "/{clientId}",
    response_model=SummitClient,
    responses=_answers(200, EXAMPLE_CLIENT | EXAMPLE_UPDATE | {"softDelete": True}, NotFound),
)
async def delete_client(
    clientId: ClientId,  # noqa: N803
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Soft-delete a client and answer it with softDelete true; afterwards it is 404."""
    found = await clients_service.get_by_number(session, principal, clientId)
    client = await clients_service.delete(session, principal, found.id)
    return mapping.to_summit_client(client, principal.organization_number)
