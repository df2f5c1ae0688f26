"""The planner's statistics of Rolodex's tables, kept current where autovacuum does not.

PostgreSQL plans every statement from the statistics ANALYZE gathers, and autovacuum runs
ANALYZE on a table once the rows changed since the last run exceed
`autovacuum_analyze_threshold` plus `autovacuum_analyze_scale_factor` of its rows. With
autovacuum off (as on this project's CI machine), a database that grows through the API keeps
the statistics of its empty tables, and so does every plan made from them, the plans each
connection keeps for its prepared statements, PL/pgSQL functions and foreign-key checks
included. Measured at 13,800 clients created through the API: a GET of one client took 4.7 ms of
PostgreSQL CPU and the server answered 365 a second; after one ANALYZE, 0.12 ms and 4,857 a
second (a new statistic invalidates the plans made from the old one).

`refresh` does autovacuum's ANALYZE part by the same rule, and only where autovacuum is off.
The webhook worker, which runs in every server process, calls it every STATS_EVERY; an advisory
lock lets one process of many do it at a time. A no-op on SQLite, whose planner keeps no
statistics of its own unless asked.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

STATS_EVERY = timedelta(seconds=10)
LOCK = 0x726F6C73  # "rols": one analysing process per database at a time

# The tables of this schema whose changes since their last ANALYZE pass autovacuum's own
# threshold (a table never analysed counts as empty: 50 changes, by default).
STALE = text(
    """
    SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
    WHERE s.schemaname = current_schema()
      AND s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
          + current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)
    ORDER BY s.relname
    """
)


async def refresh(session: AsyncSession, *, beside_autovacuum: bool = False) -> list[str]:
    """ANALYZE the tables autovacuum would analyse now, when the server's autovacuum is off
    (or anyway, with `beside_autovacuum`); answers their names. Each ANALYZE is a transaction
    of its own (autocommit). Another process doing it at the same time makes this one do
    nothing. The session must not be in a transaction yet."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    conn = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    if not beside_autovacuum and await conn.scalar(text("SHOW autovacuum")) == "on":
        return []
    if not await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK}):
        return []
    try:
        names = list((await conn.scalars(STALE)).all())
        quote = conn.dialect.identifier_preparer.quote
        for name in names:
            await conn.execute(text(f"ANALYZE {quote(name)}"))
    finally:
        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK})
    return names
