"""The app's sessions (core/db.AppSession): what a session without a transaction skips, and
what it still commits."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import event, func, select
from tests.conftest import Tenant

from rolodex.core.clock import now
from rolodex.core.db import AppSession, session_scope
from rolodex.core.events import service as events_service
from rolodex.core.events.models import Event
from rolodex.core.orgs.models import Organization
from rolodex.core.principal import Principal, Scope


def _commits(session: AppSession) -> list[None]:
    """One entry per commit the session's SQLAlchemy core goes through from now on."""
    seen: list[None] = []
    event.listen(session.sync_session, "before_commit", lambda _session: seen.append(None))
    return seen


async def test_a_session_that_began_nothing_commits_nothing(sessions: Any) -> None:
    async with session_scope(sessions) as session:
        assert isinstance(session, AppSession)
        commits = _commits(session)
    assert commits == []
    assert not session.in_transaction()


async def test_a_session_that_read_commits_and_closes_its_transaction(
    sessions: Any, tenant: Tenant
) -> None:
    async with session_scope(sessions) as session:
        commits = _commits(session)
        assert await session.scalar(select(func.count()).select_from(Organization)) == 1
        assert session.in_transaction()
    assert commits == [None]
    assert not session.in_transaction()


async def test_events_kept_outside_a_transaction_are_still_written(
    sessions: Any, tenant: Tenant
) -> None:
    """A session that ran no statement yet holds events for its commit hook: the commit still
    runs, and writes them numbered."""
    principal = Principal(UUID(tenant.id), tenant.number, Scope.WRITE)
    subject = UUID("01900000-0000-7000-8000-000000000001")
    async with session_scope(sessions) as session:
        await events_service.record_many(
            session, principal, "client.created", [(subject, '{"id": "x"}', now())]
        )
        assert not session.in_transaction()
        commits = _commits(session)
    assert commits == [None]
    async with session_scope(sessions) as session:
        written = (await session.scalars(select(Event).where(Event.subject_id == subject))).all()
    assert [(event.type, event.sequence) for event in written] == [("client.created", 1)]


async def test_an_object_added_outside_a_transaction_is_still_written(
    sessions: Any, tenant: Tenant
) -> None:
    async with session_scope(sessions) as session:
        session.add(Organization(name="Initech", number=tenant.number + 1))
    async with session_scope(sessions) as session:
        names = await session.scalars(select(Organization.name).order_by(Organization.number))
        assert list(names) == ["Acme", "Initech"]
