"""New ORM objects written without the unit of work (core/rows.insert_objects)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm.exc import StaleDataError
from tests.conftest import Tenant, count_statements

from rolodex.core import rows
from rolodex.core.clients.models import Client
from rolodex.core.contacts.models import ContactLink, ContactPerson
from rolodex.core.db import session_scope
from rolodex.core.ids import new_id


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


@pytest.mark.postgres_only
async def test_rows_of_several_tables_in_one_statement_keep_every_value(
    sessions: Any, tenant: Tenant, engine: AsyncEngine
) -> None:
    org = UUID(tenant.id)
    big = 2**70  # beyond orjson's integers: the json module writes the parameter
    client = Client(
        id=new_id(),
        organization_id=org,
        number=1,
        name='Acme \u00e5\u00e4\u00f6 "quoted" \\ back',
        credit_limit=Decimal("1234.50"),
        point_lng=11.974560,
        point_lat=57.708870,
        tags=["a", "b"],
        meta={"nested": {"list": [1, 2.5, None, True]}, "big": big},
        references=[{"number": 1, "value": "x"}],
        contact_search_text="ada one",
    )
    contact = _contact(tenant, 1, email="ada@example.com", search_text="ada one")
    contact.id = new_id()
    link = ContactLink(
        organization_id=org, client_id=client.id, contact_person_id=contact.id, is_main=True
    )
    async with session_scope(sessions) as session:
        with count_statements(engine) as seen:
            await rows.insert_together(session, [[client], [contact], [link]])
        assert len(seen) == 1 and seen[0].startswith("WITH step_0 AS (INSERT INTO clients")
        assert not session.new and await session.get(Client, client.id) is client
    async with session_scope(sessions) as session:
        stored = await session.get(Client, client.id)
        assert stored is not None and stored is not client
        for name in ("name", "credit_limit", "point_lng", "point_lat", "tags", "meta"):
            assert getattr(stored, name) == getattr(client, name), name
        assert stored.references == client.references and stored.meta["big"] == big
        assert (stored.version, stored.created_at) == (1, client.created_at)
        # The links' trigger ran at the statement's end, with the client's row there, and
        # found its text current (it writes what the contacts' texts make).
        assert await session.scalar(select(Client.contact_search_text)) == "ada one"
        linked = await session.scalar(select(ContactLink.contact_person_id))
        assert linked == contact.id
    with pytest.raises(IntegrityError):  # a unique index objects, and nothing is written
        async with session_scope(sessions) as session:
            again = _contact(tenant, 2)
            await rows.insert_together(session, [[again], [_contact(tenant, 1)]])
    async with session_scope(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(ContactPerson)) == 1


def test_a_draft_reads_as_a_new_object_of_its_model() -> None:
    made = rows.draft(Client, name="Acme", tags=["a"])
    fresh = Client(name="Acme", tags=["a"])
    for name in ("name", "tags", "email", "version", "created_at", "meta", "number"):
        assert getattr(made, name) == getattr(fresh, name), name
    assert rows.model_of(made) is Client and not isinstance(made, Client)
    # A column with a default is left for `together` to give it; the others hold None.
    assert "version" not in made.__dict__ and made.__dict__["email"] is None
    with pytest.raises(AttributeError):
        _ = made.no_such_column  # type: ignore[attr-defined]
    rows.fill_defaults([made])
    assert (made.version, made.meta, made.search_text) == (1, {}, "")
    orm = rows.made(made)
    assert isinstance(orm, Client) and (orm.name, orm.tags, orm.version) == ("Acme", ["a"], 1)
    assert rows.made(fresh) is fresh


@pytest.mark.postgres_only
async def test_drafts_are_written_as_the_models_objects_are(sessions: Any, tenant: Tenant) -> None:
    org = UUID(tenant.id)

    def made(make: Any, number: int) -> list[list[Any]]:
        client = make(Client, id=new_id(), organization_id=org, number=number, name="Acme")
        contact = make(ContactPerson, id=new_id(), organization_id=org, number=number, name="Ada")
        link = make(
            ContactLink, organization_id=org, client_id=client.id, contact_person_id=contact.id
        )
        return [[client], [contact], [link]]

    orm, drafts = made(lambda model, **values: model(**values), 1), made(rows.draft, 2)
    async with session_scope(sessions) as session:
        await rows.insert_together(session, orm)
        await rows.insert_together(session, drafts)
        assert len(session.identity_map) == 3  # the ORM objects; a Draft never joins
        assert all(isinstance(obj, rows.Draft) for group in drafts for obj in group)
    skip = {"id", "number", "client_id", "contact_person_id", "created_at", "updated_at"}
    async with session_scope(sessions) as session:
        for model in (Client, ContactPerson, ContactLink):
            stored = (await session.execute(select(model.__table__))).mappings().all()
            assert len(stored) == 2, model
            first, second = ({k: v for k, v in row.items() if k not in skip} for row in stored)
            assert first == second, model
