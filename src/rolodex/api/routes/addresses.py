"""Native address routes: /clients/{clientId}/addresses."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Request

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.api.http import list_query, only_params, page_meta
from rolodex.core.addresses import repository as addresses_repository
from rolodex.core.addresses import service as addresses_service
from rolodex.core.addresses.schemas import (
    EXAMPLE,
    AddressCreate,
    AddressList,
    AddressRead,
    AddressUpdate,
)
from rolodex.core.errors import NotFound

router = APIRouter(prefix="/clients/{client_id}/addresses", tags=["addresses"])

ClientId = Annotated[UUID, Path(description="The client's id (UUID)")]
AddressId = Annotated[UUID, Path(description="The address's id (UUID)")]


@router.post("", status_code=201, response_model=AddressRead, responses=error_docs(NotFound))
async def create_address(
    client_id: ClientId,
    body: Annotated[AddressCreate, Body(openapi_examples={"warehouse": {"value": EXAMPLE}})],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Add an address to the client."""
    address = await addresses_service.create(session, principal, client_id, body)
    return addresses_service.to_read(address)


@router.get("", response_model=AddressList, responses=error_docs(NotFound))
async def list_addresses(
    client_id: ClientId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    page: Annotated[int | None, Query(description="page number, from 1", ge=1)] = None,
    limit: Annotated[int | None, Query(description="1..200, default 20", ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(description="meta.nextCursor of the previous page")] = None,
    sort: Annotated[str | None, Query(description="fields, `-` for descending")] = None,
    q: Annotated[str | None, Query(description="search label, street, postal code, city")] = None,
) -> Any:
    """The client's addresses (see the list conventions)."""
    query = list_query(request, addresses_repository.LIST_SPEC)
    result = await addresses_service.list_for_client(session, principal, client_id, query)
    return {"data": [addresses_service.to_read(a) for a in result.items], "meta": page_meta(result)}


@router.get("/{address_id}", response_model=AddressRead, responses=error_docs(NotFound))
async def get_address(
    client_id: ClientId,
    address_id: AddressId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
) -> Any:
    """One address of the client."""
    only_params(request, ())
    address = await addresses_service.get(session, principal, client_id, address_id)
    return addresses_service.to_read(address)


@router.patch("/{address_id}", response_model=AddressRead, responses=error_docs(NotFound))
async def update_address(
    client_id: ClientId,
    address_id: AddressId,
    body: AddressUpdate,
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Update some fields of an address: absent stays, `null` clears."""
    address = await addresses_service.update(session, principal, client_id, address_id, body)
    return addresses_service.to_read(address)


@router.delete("/{address_id}", response_model=AddressRead, responses=error_docs(NotFound))
async def delete_address(
    client_id: ClientId,
    address_id: AddressId,
    request: Request,
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Remove an address for good (answers it as it was)."""
    only_params(request, ())
    address = await addresses_service.delete(session, principal, client_id, address_id)
    return addresses_service.to_read(address)
