"""Native order routes: /orders and a client's /clients/{id}/orders."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Request, Response

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.api.http import if_match, list_query, only_params, page_meta, set_etag
from rolodex.core import listing
from rolodex.core.errors import Conflict, NotFound, PreconditionFailed
from rolodex.core.orders import repository as orders_repository
from rolodex.core.orders import service as orders_service
from rolodex.core.orders.models import Order
from rolodex.core.orders.schemas import EXAMPLE, OrderCreate, OrderList, OrderRead, OrderUpdate

router = APIRouter(tags=["orders"])

OrderId = Annotated[UUID, Path(description="The order's id (UUID)")]
ClientId = Annotated[UUID, Path(description="The client's id (UUID)")]
ETAG_HEADER = {
    "ETag": {"description": "the order's version, for If-Match", "schema": {"type": "string"}}
}
Page = Annotated[int | None, Query(description="page number, from 1", ge=1)]
Limit = Annotated[int | None, Query(description="1..200, default 20", ge=1, le=200)]
Cursor = Annotated[str | None, Query(description="meta.nextCursor of the previous page")]
Sort = Annotated[
    str | None,
    Query(
        description="number, submittedAt, date, createdAt, updatedAt; `-` for descending; "
        "default -createdAt"
    ),
]
Status = Annotated[str | None, Query(description="e.g. DRAFT,SUBMITTED")]
Q = Annotated[str | None, Query(description="search in description, externalId, number")]


def _list(result: listing.Page[Order]) -> dict[str, Any]:
    return {"data": [orders_service.to_read(o) for o in result.items], "meta": page_meta(result)}


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderRead,
    responses={201: {"headers": ETAG_HEADER}, **error_docs(Conflict)},
)
async def create_order(
    body: Annotated[OrderCreate, Body(openapi_examples={"order": {"value": EXAMPLE}})],
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Create an order for a client of the organization (status DRAFT unless given)."""
    order = await orders_service.create(session, principal, body)
    set_etag(response, order.version)
    return orders_service.to_read(order)


@router.get("/orders", response_model=OrderList, responses=error_docs())
async def list_orders(
    request: Request,
    principal: ReadScope,
    session: DbSession,
    page: Page = None,
    limit: Limit = None,
    cursor: Cursor = None,
    sort: Sort = None,
    status: Status = None,
    clientId: Annotated[UUID | None, Query()] = None,  # noqa: N803
    q: Q = None,
) -> Any:
    """List orders: filters (status, clientId, tags, metadata.<key>, ...), sort, page or cursor."""
    query = list_query(request, orders_repository.LIST_SPEC)
    return _list(await orders_service.list_page(session, principal, query))


@router.get(
    "/clients/{client_id}/orders",
    response_model=OrderList,
    responses=error_docs(NotFound),
    tags=["clients"],
)
async def list_client_orders(
    client_id: ClientId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    page: Page = None,
    limit: Limit = None,
    cursor: Cursor = None,
    sort: Sort = None,
    status: Status = None,
    q: Q = None,
) -> Any:
    """List one client's orders, with the same filters, sort and paging as /orders."""
    query = list_query(request, orders_repository.LIST_SPEC)
    return _list(await orders_service.list_for_client(session, principal, client_id, query))


@router.get(
    "/orders/{order_id}",
    response_model=OrderRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_order(
    order_id: OrderId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    response: Response,
) -> Any:
    """One order."""
    only_params(request, ())
    order = await orders_service.get(session, principal, order_id)
    set_etag(response, order.version)
    return orders_service.to_read(order)


@router.patch(
    "/orders/{order_id}",
    response_model=OrderRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound, Conflict, PreconditionFailed)},
)
async def update_order(
    order_id: OrderId,
    body: OrderUpdate,
    request: Request,
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Update some fields (absent stays); status moves DRAFT -> SUBMITTED -> REVOKED."""
    order = await orders_service.update(
        session, principal, order_id, body, if_match=if_match(request)
    )
    set_etag(response, order.version)
    return orders_service.to_read(order)


@router.delete(
    "/orders/{order_id}",
    response_model=OrderRead,
    responses=error_docs(NotFound, PreconditionFailed),
)
async def delete_order(
    order_id: OrderId, request: Request, principal: WriteScope, session: DbSession
) -> Any:
    """Delete an order for good; answers it as it was (revoke an order to keep it)."""
    only_params(request, ())
    order = await orders_service.delete(session, principal, order_id, if_match=if_match(request))
    return orders_service.to_read(order)
