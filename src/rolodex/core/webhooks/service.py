"""Webhook rules: register (with a secret shown once), change, remove, deliveries, redeliver."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core import listing
from rolodex.core.clock import now
from rolodex.core.errors import Conflict, NotFound
from rolodex.core.events import catalog
from rolodex.core.events import repository as events_repository
from rolodex.core.principal import Principal
from rolodex.core.webhooks import repository, signing, urls
from rolodex.core.webhooks.models import Attempt, Delivery, Webhook
from rolodex.core.webhooks.schemas import WebhookCreate, WebhookUpdate


def not_found(webhook_id: UUID) -> NotFound:
    return NotFound(f"Webhook {webhook_id} not found")


def _patterns(events: list[str]) -> list[str]:
    patterns = list(dict.fromkeys(p.strip() for p in events))
    catalog.expand(patterns, field="events")  # a 400 on an unknown type
    return [catalog.ALL] if catalog.ALL in patterns else patterns


async def create(
    session: AsyncSession, principal: Principal, data: WebhookCreate, *, deny_private: bool
) -> Webhook:
    """Register an endpoint; it receives the events committed from now on."""
    hook = Webhook(
        organization_id=principal.organization_id,
        url=await urls.check(data.url, deny_private=deny_private),
        events=_patterns(data.events),
        description=data.description,
        secret=signing.new_secret(),
        enabled=True,
        cursor=await events_repository.last_sequence(session, principal.organization_id),
    )
    hook.created_at = hook.updated_at = now()
    session.add(hook)
    await session.flush()
    return hook


async def get(
    session: AsyncSession, principal: Principal, webhook_id: UUID, *, for_update: bool = False
) -> Webhook:
    """One endpoint of the caller's organization."""
    hook = await repository.get(session, principal, webhook_id, for_update=for_update)
    if hook is None:
        raise not_found(webhook_id)
    return hook


async def list_page(
    session: AsyncSession, principal: Principal, query: listing.ListQuery
) -> listing.Page[Webhook]:
    """A page of the organization's endpoints."""
    return await repository.list_page(session, principal, query)


async def update(
    session: AsyncSession,
    principal: Principal,
    webhook_id: UUID,
    data: WebhookUpdate,
    *,
    deny_private: bool,
) -> Webhook:
    """Change an endpoint; enabling it again resumes where its deliveries stopped."""
    hook = await get(session, principal, webhook_id, for_update=True)
    given = data.given()
    if given.get("url") is not None:
        hook.url = await urls.check(given["url"], deny_private=deny_private)
    if given.get("events") is not None:
        hook.events = _patterns(given["events"])
    if "description" in given:
        hook.description = given["description"]
    if given.get("enabled") is not None:
        hook.enabled = given["enabled"]
        if hook.enabled:
            hook.disabled_reason = hook.disabled_at = None
        else:
            hook.disabled_reason, hook.disabled_at = "disabled by a user", now()
    hook.updated_at = now()
    await session.flush()
    return hook


async def delete(session: AsyncSession, principal: Principal, webhook_id: UUID) -> None:
    """Remove an endpoint with its deliveries."""
    hook = await get(session, principal, webhook_id, for_update=True)
    await session.delete(hook)
    await session.flush()


async def deliveries_page(
    session: AsyncSession, principal: Principal, webhook_id: UUID, query: listing.ListQuery
) -> tuple[listing.Page[Delivery], dict[UUID, list[Attempt]]]:
    """A page of an endpoint's deliveries (newest first) and every attempt of each."""
    await get(session, principal, webhook_id)
    page = await repository.deliveries_page(session, principal, webhook_id, query)
    attempts = await repository.attempts_of(session, principal, [d.id for d in page.items])
    return page, attempts


async def redeliver(
    session: AsyncSession, principal: Principal, webhook_id: UUID, delivery_id: UUID
) -> tuple[Delivery, list[Attempt]]:
    """Send a delivery again (whatever its status), as soon as a worker gets to it."""
    hook = await get(session, principal, webhook_id)
    delivery = await repository.get_delivery(
        session, principal, webhook_id, delivery_id, for_update=True
    )
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} not found")
    at = now()
    if delivery.locked_until is not None and delivery.locked_until > at:
        raise Conflict(f"Delivery {delivery_id} is being attempted right now")
    if not hook.enabled:
        raise Conflict(f"Webhook {webhook_id} is disabled; enable it first")
    delivery.status = "pending"
    delivery.next_attempt_at = delivery.updated_at = at
    delivery.locked_until = delivery.claim_token = None
    delivery.first_attempt_at = None  # a fresh retry window
    await session.flush()
    attempts = await repository.attempts_of(session, principal, [delivery.id])
    return delivery, attempts[delivery.id]


def to_read(hook: Webhook) -> dict[str, Any]:
    """The endpoint as the API shows it (never its secret)."""
    return {
        "id": hook.id,
        "url": hook.url,
        "events": hook.events,
        "description": hook.description,
        "enabled": hook.enabled,
        "disabledReason": hook.disabled_reason,
        "disabledAt": hook.disabled_at,
        "createdAt": hook.created_at,
        "updatedAt": hook.updated_at,
    }


def delivery_to_read(delivery: Delivery, attempts: list[Attempt]) -> dict[str, Any]:
    """A delivery with its attempts, as the API shows it."""
    return {
        "id": delivery.id,
        "webhookId": delivery.webhook_id,
        "eventId": delivery.event_id,
        "eventType": delivery.event_type,
        "sequence": delivery.sequence,
        "status": delivery.status,
        "attemptCount": delivery.attempts,
        "nextAttemptAt": delivery.next_attempt_at if delivery.status == "pending" else None,
        "lastAttemptAt": delivery.last_attempt_at,
        "lastResponseCode": delivery.last_response_code,
        "lastError": delivery.last_error,
        "createdAt": delivery.created_at,
        "attempts": [
            {
                "attempt": a.attempt,
                "status": a.status,
                "startedAt": a.started_at,
                "durationMs": a.duration_ms,
                "responseCode": a.response_code,
                "error": a.error,
                "nextRetryAt": a.next_retry_at,
            }
            for a in attempts
        ],
    }
