"""Customers & orders API v1.0 at /v1.0/customers: parse, map, call the core services, map back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.core.clients import service as clients_service
from rolodex.core.errors import Conflict, NotFound, RolodexError
from rolodex.core.orders import service as orders_service
from rolodex.dialects.customers_v1 import mapping
from rolodex.dialects.customers_v1.schemas import (
    EXAMPLE_CREATE,
    EXAMPLE_CUSTOMER,
    EXAMPLE_ORDER,
    EXAMPLE_UPDATE,
    CustomersV1ListParams,
    CustomerV1In,
    CustomerV1List,
    CustomerV1One,
    CustomerV1OrderList,
    CustomerV1OrdersParams,
)

router = APIRouter(prefix="/v1.0/customers", tags=["dialect: customers & orders v1.0"])

CustomerId = Annotated[
    int, Path(alias="id", description="The customer's id (its number in the organization)")
]
ONE = {"customer": EXAMPLE_CUSTOMER}


def _answers(example: Any, *errors: type[RolodexError]) -> dict[int | str, Any]:
    """OpenAPI responses: the 200 example, then the error DTOs."""
    return {200: {"content": {"application/json": {"example": example}}}, **error_docs(*errors)}


@router.get(
    "", response_model=CustomerV1List, responses=_answers({"customers": [EXAMPLE_CUSTOMER]})
)
async def list_customers(
    params: Annotated[CustomersV1ListParams, Query()], principal: ReadScope, session: DbSession
) -> Any:
    """List customers: sortby, direction, offset, limit (default 100), type and archived."""
    query = mapping.to_list_query(params)
    page = await clients_service.list_page(session, principal, query, spec=mapping.LIST_SPEC)
    return mapping.to_customer_list(page)


@router.post("", response_model=CustomerV1One, responses=_answers(ONE, Conflict))
async def create_customer(
    body: Annotated[CustomerV1In, Body(openapi_examples={"document": {"value": EXAMPLE_CREATE}})],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Create a customer (200); 409 when another customer has the email or the crmId."""
    client = await clients_service.create(session, principal, mapping.to_client_create(body))
    return {"customer": mapping.to_customer(client)}


@router.get("/{id}", response_model=CustomerV1One, responses=_answers(ONE, NotFound))
async def get_customer(customer_id: CustomerId, principal: ReadScope, session: DbSession) -> Any:
    """One customer by its id."""
    client = await clients_service.get_by_number(session, principal, customer_id)
    return {"customer": mapping.to_customer(client)}


@router.put("/{id}", response_model=CustomerV1One, responses=_answers(ONE, NotFound, Conflict))
async def update_customer(
    customer_id: CustomerId,
    body: Annotated[CustomerV1In, Body(openapi_examples={"document": {"value": EXAMPLE_UPDATE}})],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Change the fields given (any subset); absent fields stay as they are."""
    found = await clients_service.get_by_number(session, principal, customer_id)
    data = mapping.to_client_update(body, found)
    client = await clients_service.update(session, principal, found.id, data)
    return {"customer": mapping.to_customer(client)}


@router.delete("/{id}", response_model=CustomerV1One, responses=_answers(ONE, NotFound))
async def delete_customer(
    customer_id: CustomerId, principal: WriteScope, session: DbSession
) -> Any:
    """Remove a customer (a soft delete) and answer it as it was; afterwards it is 404."""
    found = await clients_service.get_by_number(session, principal, customer_id)
    client = await clients_service.delete(session, principal, found.id)
    return {"customer": mapping.to_customer(client)}


@router.get(
    "/{id}/orders",
    response_model=CustomerV1OrderList,
    responses=_answers({"orders": [EXAMPLE_ORDER]}, NotFound),
)
async def list_customer_orders(
    customer_id: CustomerId,
    params: Annotated[CustomerV1OrdersParams, Query()],
    principal: ReadScope,
    session: DbSession,
) -> Any:
    """A customer's orders: sortby (number, submitdate), direction, offset, limit, status=0,1."""
    query = mapping.to_order_list_query(params)
    client = await clients_service.get_by_number(session, principal, customer_id)
    page = await orders_service.list_for_client(
        session, principal, client.id, query, spec=mapping.ORDERS_SPEC
    )
    return mapping.to_order_list(page)
