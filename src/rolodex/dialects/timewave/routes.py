"""TimeWave clients register at /v3/clients: parse, map, call the core services, map back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.core.addresses import service as addresses_service
from rolodex.core.client_types import service as client_types_service
from rolodex.core.clients import embeds
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientFields
from rolodex.core.errors import Conflict, NotFound, RolodexError
from rolodex.core.principal import Principal
from rolodex.dialects.timewave import lists, mapping
from rolodex.dialects.timewave.errors import TimeWaveRoute
from rolodex.dialects.timewave.schemas import (
    EXAMPLE_CREATE,
    EXAMPLE_UPDATE,
    TimeWaveClientIn,
    TimeWaveClientList,
    TimeWaveClientOne,
    TimeWaveClientUpdate,
    TimeWaveValidationError,
)

router = APIRouter(prefix="/v3/clients", tags=["dialect: TimeWave"], route_class=TimeWaveRoute)

ClientId = Annotated[str, Path(description="The client's id (its number in the organization)")]
ClientT = TypeVar("ClientT", bound=ClientFields)


def _answers(*errors: type[RolodexError]) -> dict[int | str, Any]:
    """OpenAPI responses: the error DTOs and TimeWave's 422."""
    return {
        **error_docs(*errors),
        422: {"model": TimeWaveValidationError, "description": "VALIDATION_ERROR"},
    }


def _query_parameters() -> list[dict[str, Any]]:
    """The list's query parameters for OpenAPI (the route reads them from the request)."""
    described = {
        "page": "page number, from 1",
        "per_page": "clients per page (1..200, default 15)",
        "sort": f"a field, `-` for descending: {', '.join(lists.SORTS)}",
    }
    params: list[dict[str, Any]] = [
        {"name": n, "in": "query", "description": d} for n, d in described.items()
    ]
    for name in lists.FILTERS:
        params.append({"name": name, "in": "query", "description": "equals (comma = any of)"})
        if name in lists.NUMERIC:
            for op in lists.OPERATORS:
                what = "two comma-separated bounds, inclusive" if op == "between" else op
                params.append({"name": f"{name}[{op}]", "in": "query", "description": what})
    for param in params:
        param["schema"] = {"type": "string"}
    return params


async def _translated(
    session: AsyncSession, principal: Principal, clients: Sequence[Client]
) -> list[dict[str, Any]]:
    """Clients as TimeWave shows them, with their types, addresses and contacts (4 queries)."""
    embedded = await embeds.load(session, principal, [client.id for client in clients])
    type_ids = {client.client_type_id for client in clients if client.client_type_id}
    types = await client_types_service.get_many(session, principal, type_ids)
    return [
        mapping.to_timewave_client(
            client,
            types.get(client.client_type_id) if client.client_type_id else None,
            addresses=embedded[client.id]["addresses"],
            contacts=embedded[client.id]["contactPersons"],
        )
        for client in clients
    ]


async def _one(session: AsyncSession, principal: Principal, client: Client) -> dict[str, Any]:
    return {"data": (await _translated(session, principal, [client]))[0]}


async def _with_client_type(
    session: AsyncSession, principal: Principal, body: TimeWaveClientUpdate, data: ClientT
) -> ClientT:
    """`exists in clienttypes`: clienttype_id names one of the organization's client types."""
    if "clienttype_id" not in body.model_fields_set:
        return data
    type_id = await client_types_service.id_by_number(
        session, principal, body.clienttype_id, field="clienttype_id"
    )
    return mapping.with_client_type(data, type_id)


@router.get(
    "",
    response_model=TimeWaveClientList,
    responses=_answers(),
    openapi_extra={"parameters": _query_parameters()},
)
async def list_clients(request: Request, principal: ReadScope, session: DbSession) -> Any:
    """List clients: page, per_page, sort=field or -field, filters on the fields marked Filter."""
    query = lists.to_list_query(request.query_params.multi_items())
    page = await clients_service.list_page(session, principal, query, spec=lists.LIST_SPEC)
    return lists.to_timewave_list(page, await _translated(session, principal, page.items))


@router.post("", status_code=201, response_model=TimeWaveClientOne, responses=_answers(Conflict))
async def create_client(
    body: Annotated[
        TimeWaveClientIn, Body(openapi_examples={"every field": {"value": EXAMPLE_CREATE}})
    ],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Create a client (and its address, delivery_address and invoice_address)."""
    data = mapping.to_client_create(body)
    data = await _with_client_type(session, principal, body, data)
    client = await clients_service.create(session, principal, data)
    return await _one(session, principal, client)


@router.get("/{id}", response_model=TimeWaveClientOne, responses=_answers(NotFound))
async def get_client(
    id: ClientId,  # noqa: A002 (the document's name)
    principal: ReadScope,
    session: DbSession,
) -> Any:
    """One client by its id; a deleted one answers with deleted true."""
    number = mapping.client_number(id)
    client = await clients_service.get_by_number(session, principal, number, include_deleted=True)
    return await _one(session, principal, client)


@router.put("/{id}", response_model=TimeWaveClientOne, responses=_answers(NotFound, Conflict))
async def update_client(
    id: ClientId,  # noqa: A002
    body: Annotated[
        TimeWaveClientUpdate, Body(openapi_examples={"document": {"value": EXAMPLE_UPDATE}})
    ],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Update the fields given (any subset); absent fields stay as they are."""
    number = mapping.client_number(id)
    found = await clients_service.get_by_number(session, principal, number, for_update=True)
    data = mapping.to_client_update(body, found)
    slots = mapping.to_address_slots(body)
    data = await _with_client_type(session, principal, body, data)
    client = await clients_service.update(session, principal, found.id, data)
    await addresses_service.set_tagged(
        session, principal, client.id, mapping.ADDRESS_TYPE_KEY, slots
    )
    return await _one(session, principal, client)


@router.delete("/{id}", response_model=TimeWaveClientOne, responses=_answers(NotFound))
async def delete_client(
    id: ClientId,  # noqa: A002
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Delete a client (restorable natively); answers it with deleted true."""
    found = await clients_service.get_by_number(session, principal, mapping.client_number(id))
    client = await clients_service.delete(session, principal, found.id)
    return await _one(session, principal, client)
