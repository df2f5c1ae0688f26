"""Test fixtures: every DB test runs on SQLite and PostgreSQL, migrated once per session."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from rolodex.api.app import BASE_PATH, create_app
from rolodex.core import migrate
from rolodex.core.db import create_engine, dispose, read_pool, session_factory, session_scope
from rolodex.core.keys import service as keys_service
from rolodex.core.models import Base
from rolodex.core.orgs import service as orgs_service
from rolodex.settings import Settings

PG_URL = os.environ.get(
    "ROLODEX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("ROLODEX_REQUIRE_POSTGRES") == "1"


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def pg_reachable() -> bool:
    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(_pg_dsn(PG_URL), timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


PG_OK = pg_reachable()
if REQUIRE_PG and not PG_OK:
    raise RuntimeError(f"ROLODEX_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable at {PG_URL}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgres_only` tests are skipped on the SQLite backend and without PostgreSQL."""
    for item in items:
        if item.get_closest_marker("postgres_only") is None:
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "sqlite":
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only"))
        elif not PG_OK:
            item.add_marker(pytest.mark.skip(reason="no PostgreSQL"))


def backends() -> list[Any]:
    pg = pytest.param("postgres", marks=pytest.mark.skipif(not PG_OK, reason="no PostgreSQL"))
    return ["sqlite", pg]


async def create_pg_database(prefix: str = "rolodex_test") -> str:
    """A fresh PostgreSQL database; answers its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(_pg_dsn(PG_URL))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        # A test database need not survive a power cut: commits skip the wait for the WAL
        # flush (fsync), which otherwise dominates a test's time on a busy disk.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


async def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(_pg_dsn(PG_URL))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# Under pytest-xdist (make test), the workers share one PostgreSQL cluster, and a commit in any
# of its databases changes `pg_current_snapshot()`. A `quiet_cluster` test needs the snapshot to
# stay still while it runs (the search cache, the kept totals): it holds this advisory lock
# exclusively, and every other test, and every worker's database setup, holds it shared.
CLUSTER_LOCK = 0x726F6C6F


class ClusterTurns:
    """The advisory lock CLUSTER_LOCK, taken on a connection to the maintenance database
    (advisory locks belong to one database); nothing is taken outside xdist."""

    def __init__(self, conn: asyncpg.Connection | None) -> None:
        self.conn = conn

    @asynccontextmanager
    async def turn(self, *, alone: bool = False) -> AsyncIterator[None]:
        if self.conn is None:
            yield
            return
        mode = "" if alone else "_shared"
        await self.conn.execute(f"SELECT pg_advisory_lock{mode}($1)", CLUSTER_LOCK)
        try:
            yield
        finally:
            await self.conn.execute(f"SELECT pg_advisory_unlock{mode}($1)", CLUSTER_LOCK)


@pytest.fixture(scope="session")
async def cluster_turns() -> AsyncIterator[ClusterTurns]:
    if not PG_OK or "PYTEST_XDIST_WORKER" not in os.environ:
        yield ClusterTurns(None)
        return
    conn = await asyncpg.connect(_pg_dsn(PG_URL))
    try:
        yield ClusterTurns(conn)
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
async def _cluster_turn(
    request: pytest.FixtureRequest, cluster_turns: ClusterTurns
) -> AsyncIterator[None]:
    alone = request.node.get_closest_marker("quiet_cluster") is not None
    async with cluster_turns.turn(alone=alone):
        yield


@pytest.fixture(scope="session", params=backends())
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    cluster_turns: ClusterTurns,
) -> AsyncIterator[str]:
    """A migrated database for the whole session, one per backend."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "rolodex.db"
        url = f"sqlite+aiosqlite:///{path}"
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
        return
    async with cluster_turns.turn():
        url = await create_pg_database()
        await asyncio.to_thread(migrate.upgrade, url)
    try:
        yield url
    finally:
        async with cluster_turns.turn():
            await drop_pg_database(url)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Tests drive the webhook worker themselves (run_once), never in the background.
    return Settings(database_url=database_url, rate_limit_enabled=False, run_worker=False)


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await dispose(engine)


@pytest.fixture
def backend(engine: AsyncEngine) -> str:
    return engine.dialect.name


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest, _cluster_turn: None) -> AsyncIterator[None]:
    """Tables are emptied after every test that used the database."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: AsyncEngine = request.getfixturevalue("engine")
    await truncate_all(engine)


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table, children first.

    DELETE, not TRUNCATE: a test leaves a handful of rows, and on PostgreSQL a TRUNCATE of the
    16 tables (new files for every table and index, then fsync) took about 340 ms against 1 ms
    for the DELETEs; that alone was minutes of every CI run. No table uses a sequence, so there
    is no identity to restart.
    """
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        for table in tables:
            await conn.execute(text(f'DELETE FROM "{table}"'))


@contextmanager
def count_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements `engine` and its read pool run inside the block (BEGIN and COMMIT
    are not among them)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    def record_read(statement: str, _args: Any) -> None:
        seen.append(statement)

    pool = read_pool(engine)
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    if pool is not None:
        pool.listeners.append(record_read)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        if pool is not None:
            pool.listeners.remove(record_read)


@pytest.fixture
def sessions(engine: AsyncEngine) -> Any:
    return session_factory(engine)


@dataclass
class Tenant:
    """An organization with one key per scope."""

    id: str
    number: int
    keys: dict[str, str]
    key_ids: dict[str, str]

    def headers(self, scope: str = "write") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}


async def make_tenant(engine: AsyncEngine, name: str = "Acme") -> Tenant:
    async with session_scope(session_factory(engine)) as session:
        org = await orgs_service.create(session, name=name)
        keys, ids = {}, {}
        for scope in ("read", "write", "admin"):
            made = await keys_service.create(session, organization_id=org.id, scope=scope)
            keys[scope], ids[scope] = made.secret, str(made.key.id)
    return Tenant(str(org.id), org.number, keys, ids)


@pytest.fixture
async def tenant(engine: AsyncEngine) -> Tenant:
    return await make_tenant(engine, "Acme")


@pytest.fixture
async def other_tenant(engine: AsyncEngine) -> Tenant:
    return await make_tenant(engine, "Globex")


@pytest.fixture
def app(settings: Settings, engine: AsyncEngine) -> Any:
    return create_app(settings, engine=engine)


@pytest.fixture
async def raw_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app with no credentials, at the server root."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def api(app: Any, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the native API with the tenant's write key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://test{BASE_PATH}", headers=tenant.headers("write")
    ) as client:
        yield client
