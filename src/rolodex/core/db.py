"""Engine, sessions, the declarative base and the column types every model shares."""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import orjson
from sqlalchemy import JSON, DateTime, Index, MetaData, Numeric, Uuid, event, inspect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from rolodex.settings import Settings, async_database_url

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")

M = TypeVar("M", bound=Base)
R = TypeVar("R")


def dumps(value: Any) -> bytes:
    """JSON bytes of plain values: orjson, or the json module for what orjson refuses
    (integers beyond 64 bits, which JSONB keeps and `loads` reads)."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def loads(text: str | bytes) -> Any:
    """JSON text from the database: orjson, or the json module for what orjson cannot read
    exactly. JSONB keeps integers beyond 64 bits, and orjson reads those as floats (silently):
    a text with a run of 19 digits or more, which may be one, is read by the json module."""
    if isinstance(text, bytes):
        maybe_long = _LONG_DIGITS_BYTES.search(text) is not None
    else:
        maybe_long = _LONG_DIGITS.search(text) is not None
    if not maybe_long:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def from_json_row(model: type[M], row: Mapping[str, Any]) -> M:
    """A detached instance of `model` from a row as PostgreSQL's `to_jsonb(table)` writes it
    (column names as keys, UUIDs and timestamps as text): for rows aggregated into a JSON
    column so that one statement can carry several tables."""
    # Made as the ORM loads rows: no constructor, no attribute events (five times faster).
    instance: M = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(
        {key: convert(row[name]) for name, key, convert in _json_columns(model)}
    )
    return instance


@cache
def _json_columns(model: type[Base]) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """(column name, attribute, converter from JSON) for each mapped column of `model`."""
    out = []
    for prop in inspect(model).column_attrs:
        column = prop.columns[0]
        if isinstance(column.type, Numeric) and column.type.asdecimal:
            raise TypeError(f"{model.__name__}.{prop.key}: a JSON number would lose digits")
        convert: Callable[[Any], Any] = _same
        if isinstance(column.type, Uuid):
            convert = _uuid
        elif isinstance(column.type, UTCDateTime):
            convert = _timestamp
        out.append((column.name, prop.key, convert))
    return out


def _same(value: Any) -> Any:
    return value


def _uuid(value: str | None) -> UUID | None:
    return None if value is None else UUID(value)


def _timestamp(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def trigram_index(name: str, column: str) -> Index:
    """PostgreSQL: a GIN trigram index on a text column (serves `LIKE '%...%'`); nothing on
    SQLite."""
    return Index(
        name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}
    ).ddl_if(dialect="postgresql")


def create_engine(settings: Settings) -> AsyncEngine:
    """The engine for the configured database, with per-backend connection settings."""
    url = async_database_url(settings.database_url)
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            poolclass=NullPool if ":memory:" not in url else None,
            hide_parameters=True,
            json_deserializer=loads,
        )
        _sqlite_pragmas(engine)
        return engine
    engine = _pg_engine(url, settings, pool_size=settings.db_pool_size)
    _READ_POOLS[engine.sync_engine] = ReadPool(url, settings)
    _COUNTER_POOLS[engine.sync_engine] = CounterPool(url, settings)
    return engine


def _server_settings(settings: Settings) -> dict[str, str]:
    """What every connection to PostgreSQL sets for its session."""
    return {
        "statement_timeout": str(settings.statement_timeout_ms),
        "lock_timeout": str(settings.statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(settings.statement_timeout_ms * 4),
        "application_name": "rolodex",
        # Short OLTP queries: compiling one costs far more than it saves (a `q` count went
        # from 250 ms to 900 ms with JIT).
        "jit": "off",
        # Nor parallel workers: a count over a million rows took every core for 75 ms (one
        # core for 115 ms without), and every request under way waited for them.
        "max_parallel_workers_per_gather": "0",
    }


def _pg_engine(
    url: str, settings: Settings, *, pool_size: int, extra: dict[str, str] | None = None
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        json_deserializer=loads,  # a client row has five JSON columns
        pool_size=pool_size,
        # No overflow: a connection opened for one request and closed after it costs
        # PostgreSQL a backend (fork, authentication) each time; under 32 concurrent requests
        # that churn cut a worker's GETs from 740/s to 300/s. Requests past `pool_size` wait
        # for a pooled connection instead (first come, first served; 503 after pool_timeout).
        max_overflow=0,
        # No pool_pre_ping: on asyncpg it costs three round trips per checkout (BEGIN, a ping,
        # ROLLBACK). A connection the server closed (restart, terminated backend) is noticed
        # by asyncpg itself and replaced at checkout (_drop_closed); a failure in the middle
        # of a request is a retryable 503 and invalidates the pool.
        pool_pre_ping=False,
        pool_recycle=3600,
        pool_timeout=10,
        # Statement values (emails, personal numbers) stay out of errors and their tracebacks.
        hide_parameters=True,
        connect_args={
            "server_settings": _server_settings(settings) | (extra or {}),
            "timeout": 5,
            "command_timeout": settings.statement_timeout_ms / 1000 + 5,
        },
    )
    event.listen(engine.sync_engine, "checkout", _drop_closed)
    return engine


def _drop_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed meanwhile: the pool connects afresh."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("connection closed by the server")


class Row(asyncpg.Record):  # type: ignore[misc]  # asyncpg ships no types
    """A row of the read pool: by index, by column name, and by attribute as SQLAlchemy's rows
    (code that reads a page's rows takes either)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class ReadPool:
    """PostgreSQL: plain asyncpg connections for the hottest reads, fixed SQL text with
    positional parameters (a client's JSON document by id), with nothing between the request
    and the driver.

    Going through SQLAlchemy costs a read of one client more than the database does: a Core
    connection and its events, the statement's cache key, result processing. The pool has
    ROLODEX_DB_READ_POOL_SIZE connections per process beside the engine's own, with the same
    session settings; it connects on first use, so processes that never read this way (the
    CLI, SQLite) never open one. Statements run in autocommit: each sees what was committed
    when it started. `listeners` (tests) are called with every statement and its arguments.

    When every connection is busy, requests wait their turn in a FIFO semaphore: asyncio's
    Semaphore gives each freed connection to the longest waiter. (asyncpg's pool hands a freed
    connection to whichever request asks next, and a waiter that loses that race queues again
    at the back: at 32 concurrent GETs on 5 connections a process, p99 was eight to ten times
    p50.) The pool is small (2 by default): with more statements under way than the machine
    has cores, each one waits longer for a core and the slowest requests wait longest.

    The idle connections are a list here, not an asyncpg pool: with the semaphore already
    deciding who goes next, asyncpg's acquire and release (its queue, the holder's
    bookkeeping, a task that shields the release) cost 45 µs of CPU per statement on this
    machine, a fifth of a GET's Python, to do what `list.pop` and `list.append` do. A
    connection goes back to the list after its statement, or after an error the server
    answered (a statement refused or timed out leaves the connection as it was); one whose
    statement was cancelled halfway or whose connection failed is dropped, and the next
    statement that needs one connects afresh.
    """

    def __init__(
        self, url: str, settings: Settings, *, size: int | None = None, **session: str
    ) -> None:
        """`size` connections (ROLODEX_DB_READ_POOL_SIZE by default), each with the engine's
        session settings and `session`'s."""
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.size = size or settings.db_read_pool_size
        self.server_settings = _server_settings(settings) | session
        self.command_timeout = settings.statement_timeout_ms / 1000 + 5
        self.listeners: list[Callable[[str, tuple[Any, ...]], None]] = []
        self._idle: list[asyncpg.Connection] = []
        # close() moves on to the next generation: connections of an earlier one that are
        # still in use are closed when their statement ends, not kept.
        self._generation = 0
        # Requests take the pool's connections in the order they asked (see the class doc).
        self._turns = asyncio.Semaphore(self.size)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        return await self._run(sql, args, lambda conn: conn.fetchrow(sql, *args))

    @property
    def busy(self) -> bool:
        """Whether a statement asked now would wait for a connection."""
        return self._turns.locked()

    async def fetch_at_turn(self, sql: str, arguments: Callable[[], tuple[Any, ...]]) -> list[Row]:
        """`fetch` with the arguments that `arguments()` answers when this request's turn comes
        (what was gathered while it waited; see documents.Gathering). Listeners see them too."""

        def statement(conn: asyncpg.Connection) -> Awaitable[list[Row]]:
            args = arguments()
            for listener in self.listeners:
                listener(sql, args)
            return conn.fetch(sql, *args, record_class=Row)  # type: ignore[no-any-return]

        return await self._run(sql, None, statement)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        # asyncpg's fetch answers a list already.
        rows: list[Row] = await self._run(
            sql, args, lambda conn: conn.fetch(sql, *args, record_class=Row)
        )
        return rows

    async def _run(
        self,
        sql: str,
        args: tuple[Any, ...] | None,
        statement: Callable[[asyncpg.Connection], Awaitable[R]],
    ) -> R:
        """`statement` on a connection of the pool, when this request's turn comes (`args`,
        for the listeners: None when `statement` tells them itself)."""
        if args is not None:
            for listener in self.listeners:
                listener(sql, args)
        async with self._turns:
            generation = self._generation
            conn = self._take() or await self._connect()
            try:
                result = await statement(conn)
            except asyncpg.PostgresError:  # the server answered: the connection is as it was
                self._put_back(conn, generation)
                raise
            except BaseException:  # cancelled halfway, or the connection failed
                conn.terminate()
                raise
            self._put_back(conn, generation)
            return result

    def _take(self) -> asyncpg.Connection | None:
        """An idle connection that is still open (the server may have closed some meanwhile)."""
        while self._idle:
            conn = self._idle.pop()
            if not conn.is_closed():
                return conn
        return None

    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            self.dsn,
            server_settings=self.server_settings,
            command_timeout=self.command_timeout,
            timeout=5,
        )

    def _put_back(self, conn: asyncpg.Connection, generation: int) -> None:
        if generation != self._generation or conn.is_closed():
            conn.terminate()
        else:
            self._idle.append(conn)

    async def close(self) -> None:
        """Close the idle connections, and the others as their statements end."""
        self._generation += 1
        idle, self._idle = self._idle, []
        for conn in idle:
            try:
                await conn.close(timeout=5)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()


class CounterPool(ReadPool):
    """PostgreSQL: the connections that bump the `number` counters (core/numbers.py), each bump
    one autocommit statement with positional parameters, as the read pool runs its reads.

    The counters have connections of their own: taking a second connection from the request's
    own pool deadlocks under load, every pooled connection held by a request that waits for one
    more. This pool cannot run dry that way, because its connections are held for one statement
    and wait for nothing else. (It was a second SQLAlchemy engine until issue #6's thirteenth
    pass: a bump cost 0.4 ms of Python through it, four times its PostgreSQL time.)

    Their commits do not wait for the WAL to reach the disk (`synchronous_commit = off`): the
    row lock of a bump is held until its commit, and waiting for the flush there made every
    create of an organization queue behind the others' flushes (at 32 concurrent creates, a
    dozen waited on the counter at any moment). Nothing durable is lost by it: a number is used
    only by a transaction that commits after its bump, and that commit's own flush writes every
    WAL record before it, the bump's included. A crash before then loses the bump with the
    create that used it: a gap, as a rollback leaves.
    """

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__(
            url, settings, size=max(2, settings.db_pool_size // 2), synchronous_commit="off"
        )


_READ_POOLS: weakref.WeakKeyDictionary[Any, ReadPool] = weakref.WeakKeyDictionary()
_COUNTER_POOLS: weakref.WeakKeyDictionary[Any, CounterPool] = weakref.WeakKeyDictionary()


def read_pool(engine: AsyncEngine) -> ReadPool | None:
    """The read pool beside `engine` (PostgreSQL), or None (SQLite)."""
    return _READ_POOLS.get(engine.sync_engine)


def counter_pool(engine: AsyncEngine) -> CounterPool | None:
    """The counters' pool beside `engine` (PostgreSQL), or None (SQLite)."""
    return _COUNTER_POOLS.get(engine.sync_engine)


async def dispose(engine: AsyncEngine) -> None:
    """Close `engine`'s connections and those of its read and counters' pools."""
    for pools in (_READ_POOLS, _COUNTER_POOLS):
        pool = pools.pop(engine.sync_engine, None)
        if pool is not None:
            await pool.close()
    await engine.dispose()


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # aiosqlite opens its own transactions lazily; let SQLAlchemy issue BEGIN itself so
        # that a whole request is one transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: two writers never both read and then deadlock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# session.info key: the events a transaction keeps for its commit hook (core/events/service.py).
PENDING_EVENTS = "rolodex.pending_events"


class AppSession(AsyncSession):
    """An AsyncSession that spares a session holding no transaction what only a transaction
    needs: an empty commit, and a greenlet and a task of its own to close it."""

    async def commit(self) -> None:
        """As AsyncSession's, except that a session that began no transaction, holds no
        added, changed or deleted object and kept no events for the commit hook returns at
        once: SQLAlchemy would begin and commit an empty transaction of its own (no statement,
        but its hooks and bookkeeping: about 4% of a create that is one statement, whose
        statement runs beside the session)."""
        if (
            self.in_transaction()
            or self.new
            or self.dirty
            or self.deleted
            or self.info.get(PENDING_EVENTS)
        ):
            await super().commit()

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        """As AsyncSession's, but a session without a transaction (committed, rolled back, or
        never begun) holds no connection, so closing it runs no I/O: it closes at once, not in
        a task of its own through a greenlet (3% of a one-statement create)."""
        if self.in_transaction():
            await super().__aexit__(type_, value, traceback)
        else:
            self.sync_session.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AppSession, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads: on PostgreSQL in autocommit (no BEGIN/COMMIT round trips; each
    statement is its own snapshot); elsewhere the same as `session_factory`."""
    if engine.dialect.name != "postgresql":
        return session_factory(engine)
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


@asynccontextmanager
async def custom_plans(session: AsyncSession) -> AsyncIterator[None]:
    """PostgreSQL: inside the block, every statement is planned for its own values.

    asyncpg prepares statements, and after five runs PostgreSQL may keep a generic plan for
    one. For a search that plan cannot know how common the fragment nor how large the tenant
    is: at a million clients it ANDed the trigram match with the whole organization's index,
    100 ms where a plan for the fragment takes 5. Two round trips (SET and RESET) buy the
    right plan. A failed transaction rolls the SET back by itself."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    conn = await session.connection()
    await conn.exec_driver_sql(_SEARCH_SETTINGS)
    failed = True
    try:
        yield
        failed = False
    finally:
        try:
            await conn.exec_driver_sql(_RESET_SEARCH_SETTINGS)
        except Exception:
            if not failed:
                raise


# One round trip each way. Besides custom plans, no sequential scan: under the LIMIT that caps
# a search's count, the planner would rather read the table in order until it has found
# enough matches, guessing from a too high estimate of the fragment's frequency that it will be
# soon (`bystr` at a million clients: 246,000 rows read, 157 ms, where the trigram indexes
# find them in a few milliseconds).
_SEARCH_SETTINGS = (
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', false), "
    "set_config('enable_seqscan', 'off', false), "
    "set_config('random_page_cost', '1.1', false)"
)
_RESET_SEARCH_SETTINGS = (
    "SELECT set_config(name, reset_val, false) FROM pg_settings "
    "WHERE name IN ('plan_cache_mode', 'enable_seqscan', 'random_page_cost')"
)


@asynccontextmanager
async def session_scope(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on error (for the CLI and workers)."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
