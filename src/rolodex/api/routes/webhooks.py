"""Webhook endpoints (admin scope): /webhooks and their deliveries."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Request, Response

from rolodex.api.deps import AdminScope, DbSession
from rolodex.api.errors import error_docs
from rolodex.api.http import list_query, only_params, page_meta
from rolodex.core.errors import Conflict, NotFound
from rolodex.core.webhooks import repository as webhooks_repository
from rolodex.core.webhooks import service as webhooks_service
from rolodex.core.webhooks.schemas import (
    EXAMPLE,
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

WebhookId = Annotated[UUID, Path(description="The webhook's id")]
DeliveryId = Annotated[UUID, Path(description="The delivery's id")]


def _deny_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_deny_private)


@router.post("", status_code=201, response_model=WebhookCreated, responses=error_docs())
async def create_webhook(
    body: Annotated[WebhookCreate, Body(openapi_examples={"erp": {"value": EXAMPLE}})],
    request: Request,
    principal: AdminScope,
    session: DbSession,
) -> Any:
    """Register an endpoint for events; the answer holds its signing secret, shown only here."""
    hook = await webhooks_service.create(
        session, principal, body, deny_private=_deny_private(request)
    )
    return {**webhooks_service.to_read(hook), "secret": hook.secret}


@router.get("", response_model=WebhookList, responses=error_docs())
async def list_webhooks(request: Request, principal: AdminScope, session: DbSession) -> Any:
    """List the organization's webhook endpoints."""
    query = list_query(request, webhooks_repository.WEBHOOK_SPEC)
    page = await webhooks_service.list_page(session, principal, query)
    return {"data": [webhooks_service.to_read(h) for h in page.items], "meta": page_meta(page)}


@router.get("/{webhook_id}", response_model=WebhookRead, responses=error_docs(NotFound))
async def get_webhook(
    webhook_id: WebhookId, request: Request, principal: AdminScope, session: DbSession
) -> Any:
    """One webhook endpoint (without its secret)."""
    only_params(request, ())
    return webhooks_service.to_read(await webhooks_service.get(session, principal, webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookRead, responses=error_docs(NotFound))
async def update_webhook(
    webhook_id: WebhookId,
    body: WebhookUpdate,
    request: Request,
    principal: AdminScope,
    session: DbSession,
) -> Any:
    """Change an endpoint's URL, events or description, or enable it again."""
    hook = await webhooks_service.update(
        session, principal, webhook_id, body, deny_private=_deny_private(request)
    )
    return webhooks_service.to_read(hook)


@router.delete(
    "/{webhook_id}", status_code=204, response_class=Response, responses=error_docs(NotFound)
)
async def delete_webhook(webhook_id: WebhookId, principal: AdminScope, session: DbSession) -> None:
    """Remove an endpoint and its delivery log."""
    await webhooks_service.delete(session, principal, webhook_id)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, responses=error_docs(NotFound))
async def list_deliveries(
    webhook_id: WebhookId, request: Request, principal: AdminScope, session: DbSession
) -> Any:
    """An endpoint's deliveries, newest first, each with every attempt (status, timing, code)."""
    query = list_query(request, webhooks_repository.DELIVERY_SPEC)
    page, attempts = await webhooks_service.deliveries_page(session, principal, webhook_id, query)
    data = [webhooks_service.delivery_to_read(d, attempts[d.id]) for d in page.items]
    return {"data": data, "meta": page_meta(page)}


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryRead,
    responses=error_docs(NotFound, Conflict),
)
async def redeliver(
    webhook_id: WebhookId, delivery_id: DeliveryId, principal: AdminScope, session: DbSession
) -> Any:
    """Send a delivery again as soon as a worker gets to it (202: queued)."""
    delivery, attempts = await webhooks_service.redeliver(
        session, principal, webhook_id, delivery_id
    )
    return webhooks_service.delivery_to_read(delivery, attempts)
