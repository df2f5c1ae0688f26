"""New ORM objects written without the unit of work (core/rows.insert_objects)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.exc import StaleDataError
from tests.conftest import Tenant, count_statements

from rolodex.core import rows
from rolodex.core.clients.models import Client
from rolodex.core.contacts.models import ContactPerson
from rolodex.core.db import session_scope


def _contact(tenant: Tenant, number: int, **values: Any) -> ContactPerson:
    return ContactPerson(organization_id=UUID(tenant.id), number=number, name="Ada", **values)


async def test_unset_columns_take_their_defaults_and_the_objects_stay_in_the_session(
    sessions: Any, tenant: Tenant, engine: AsyncEngine
) -> None:
    async with session_scope(sessions) as session:
        contacts = [_contact(tenant, 1, email="ada@example.com"), _contact(tenant, 2)]
        with count_statements(engine) as seen:
            await rows.insert_objects(session, contacts)
        inserts = [sql for sql in seen if not sql.startswith("BEGIN")]  # SQLite's own BEGIN
        assert len(inserts) == 1 and inserts[0].startswith("INSERT INTO contact_persons")
        first = contacts[0]
        # What a flush would have given them, readable without a lazy load.
        assert (first.version, first.tags, first.meta, first.search_text) == (1, [], {}, "")
        assert first.id is not None and first.created_at is not None
        # Persistent and clean: the identity map holds them, and nothing is left to flush.
        assert await session.get(ContactPerson, first.id) is first
        assert not session.new and not session.dirty
        # A change is an UPDATE with the version check, as after a flush.
        first.name = "Ada L."
        await session.flush()
        assert first.version == 2
    async with session_scope(sessions) as session:
        found = (await session.scalars(select(ContactPerson).order_by(ContactPerson.number))).all()
        assert [(c.name, c.version, c.email) for c in found] == [
            ("Ada L.", 2, "ada@example.com"),
            ("Ada", 1, None),
        ]


async def test_the_version_check_holds_for_an_object_changed_meanwhile(
    sessions: Any, tenant: Tenant
) -> None:
    async with session_scope(sessions) as session:
        contact = _contact(tenant, 1)
        await rows.insert_objects(session, [contact])
        await session.execute(text("UPDATE contact_persons SET version = 5"))
        contact.name = "Stale"
        with pytest.raises(StaleDataError):
            await session.flush()
        await session.rollback()


async def test_a_deferred_column_left_unset_takes_its_server_default(
    sessions: Any, tenant: Tenant
) -> None:
    async with session_scope(sessions) as session:
        client = Client(organization_id=UUID(tenant.id), number=1, name="Acme")
        await rows.insert_objects(session, [client])
    async with session_scope(sessions) as session:
        stored = await session.scalar(select(Client.contact_search_text))
        assert stored == ""


async def test_a_unique_index_still_objects(sessions: Any, tenant: Tenant) -> None:
    async with session_scope(sessions) as session:
        await rows.insert_objects(session, [_contact(tenant, 1)])
    with pytest.raises(IntegrityError):
        async with session_scope(sessions) as session:
            await rows.insert_objects(session, [_contact(tenant, 1)])  # the same number
