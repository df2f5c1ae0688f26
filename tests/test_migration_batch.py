"""Migrations on SQLite run with foreign keys off, so batch mode never cascades a delete."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from rolodex.core import migrate
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.schemas import ClientCreate
from rolodex.core.db import create_engine, session_factory, session_scope
from rolodex.core.orders import service as orders_service
from rolodex.core.orders.models import Order
from rolodex.core.orders.schemas import OrderCreate
from rolodex.core.orgs import service as orgs_service
from rolodex.core.principal import Principal, Scope
from rolodex.settings import Settings


def _recreate_clients_table(url: str) -> None:
    """A copy-and-drop batch migration of `clients`, run through the project's env.py."""
    config = migrate.alembic_config(url)
    script = ScriptDirectory.from_config(config)

    def steps(_revision: Any, context: Any) -> list[Any]:
        with Operations(context).batch_alter_table("clients", recreate="always") as batch:
            batch.alter_column("pricing", type_=sa.String(2000))
        return []

    with EnvironmentContext(config, script, fn=steps):
        script.run_env()


async def test_recreating_clients_keeps_their_orders(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'batch.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(Settings(database_url=url))
    sessions = session_factory(engine)
    async with session_scope(sessions) as session:
        org = await orgs_service.create(session, name="Acme")
        principal = Principal(org.id, org.number, Scope.ADMIN)
        client = await clients_service.create(session, principal, ClientCreate(name="A"))
        await orders_service.create(session, principal, OrderCreate(clientId=client.id))
    await asyncio.to_thread(_recreate_clients_table, url)
    async with session_scope(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
    await engine.dispose()
