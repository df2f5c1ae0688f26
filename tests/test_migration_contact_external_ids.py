"""Migration 0008 moves contact persons' JSON externalIds into the external-id table."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from tests.conftest import backends, create_pg_database, drop_pg_database

from rolodex.core import migrate
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.schemas import ClientCreate
from rolodex.core.contacts import service as contacts_service
from rolodex.core.contacts.models import ContactPerson
from rolodex.core.contacts.schemas import ContactPersonCreate
from rolodex.core.db import create_engine, session_factory, session_scope
from rolodex.core.external_ids.models import ExternalId
from rolodex.core.orgs import service as orgs_service
from rolodex.core.principal import Principal, Scope
from rolodex.settings import Settings


def contact(name: str, *pairs: tuple[str, str]) -> ContactPersonCreate:
    refs = [{"system": system, "id": value} for system, value in pairs]
    return ContactPersonCreate.model_validate({"name": name, "externalIds": refs})


@pytest.mark.parametrize("backend_name", backends())
async def test_json_external_ids_are_moved_into_the_table(
    backend_name: str, tmp_path: Path
) -> None:
    if backend_name == "sqlite":
        url, cleanup = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", None
    else:
        url = cleanup = await create_pg_database("rolodex_migration_0008")
    engine = create_engine(Settings(database_url=url))
    try:
        await asyncio.to_thread(migrate.upgrade, url, "0007")
        sessions = session_factory(engine)
        async with session_scope(sessions) as session:
            org = await orgs_service.create(session, name="Acme")
        principal = Principal(org.id, org.number, Scope.ADMIN)
        async with session_scope(sessions) as session:
            live = await clients_service.create(session, principal, ClientCreate(name="Live"))
            gone = await clients_service.create(session, principal, ClientCreate(name="Gone"))
            first = await contacts_service.create(
                session, principal, live.id, contact("First", ("sap", "1"), ("crm", "X"))
            )
            second = await contacts_service.create(session, principal, live.id, contact("Second"))
            hidden = await contacts_service.create(
                session, principal, gone.id, contact("Hidden", ("sap", "2"))
            )
            await clients_service.delete(session, principal, gone.id)
            # As before 0008: the pairs only in the JSON column (a duplicate one included).
            await session.execute(
                delete(ExternalId).where(ExternalId.subject_kind == "contact_person")
            )
            await session.execute(
                update(ContactPerson)
                .where(ContactPerson.id == second.contact.id)
                .values(external_ids=[{"system": "sap", "id": "1"}])
            )
        await asyncio.to_thread(migrate.upgrade, url)
        async with session_scope(sessions) as session:
            rows = await session.execute(
                select(ExternalId.subject_id, ExternalId.system, ExternalId.external_id).where(
                    ExternalId.subject_kind == "contact_person"
                )
            )
            assert sorted(rows.all()) == sorted(
                [(first.contact.id, "sap", "1"), (first.contact.id, "crm", "X")]
            ), "the first holder keeps a shared pair; a hidden contact holds none"
            kept = await session.scalar(
                select(ContactPerson.external_ids).where(ContactPerson.id == second.contact.id)
            )
            assert kept == [{"system": "sap", "id": "1"}], "the JSON copy is kept"
            found = await contacts_service.get_by_external_ref(session, principal, "crm", "X")
            assert found.contact.id == first.contact.id
            # Restoring the client gives the hidden contact its pair back.
            await clients_service.restore(session, principal, gone.id)
            found = await contacts_service.get_by_external_ref(session, principal, "sap", "2")
            assert found.contact.id == hidden.contact.id
    finally:
        await engine.dispose()
        if cleanup:
            await drop_pg_database(cleanup)
