"""`rolodex import clients` and `rolodex export clients`: CSV in chunks, constant memory."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO
from uuid import UUID

import typer
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import rolodex.core.models  # noqa: F401  (every mapper known before the first flush)
from rolodex.cli.common import DatabaseUrl, JsonFlag, err_console, print_json, run, settings_for
from rolodex.core.clients import transfer
from rolodex.core.db import create_engine, session_factory, session_scope
from rolodex.core.orgs import service as orgs_service
from rolodex.core.principal import Principal, Scope
from rolodex.settings import Settings

import_app = typer.Typer(help="Bulk import from CSV.", no_args_is_help=True)
export_app = typer.Typer(help="Bulk export to CSV.", no_args_is_help=True)

OrgOption = Annotated[UUID, typer.Option("--org", help="the organization's id")]


class FailedRows:
    """`FILE.failed.csv`: the failed rows as given, with `_line` and `_error` columns."""

    def __init__(self, source: Path, columns: Sequence[str]) -> None:
        name = source.stem if source.suffix.lower() == ".csv" else source.name
        self.path = source.with_name(f"{name}.failed.csv")
        self.columns = [*columns, "_line", "_error"]
        self.file: TextIO | None = None
        self.writer: Any = None
        self.path.unlink(missing_ok=True)  # a stale file from an earlier run would mislead

    def write(self, failures: Sequence[transfer.Failure]) -> None:
        if not failures:
            return
        if self.writer is None:
            self.file = self.path.open("w", encoding="utf-8", newline="")
            self.writer = csv.writer(self.file)
            self.writer.writerow(self.columns)
        for failure in failures:
            cells = [failure.cells.get(c) or "" for c in self.columns[:-2]]
            self.writer.writerow([*cells, failure.row, failure.message])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


@import_app.command("clients")
def import_clients(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="a UTF-8 CSV file")
    ],
    org: OrgOption,
    upsert_by: Annotated[
        str | None,
        typer.Option(
            "--upsert-by",
            help="update the live client with the same externalId, email, id or "
            "externalIds.<system> instead of creating one",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check every row, change nothing")
    ] = False,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, max=10_000, help="rows per transaction")
    ] = 1000,
    database_url: DatabaseUrl = None,
    json: JsonFlag = False,
) -> None:
    """Create or update clients from CSV: native field names, dotted columns for nested values."""
    settings = settings_for(database_url)
    with file.open("rb") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        reader = csv.DictReader(text)
        columns = list(reader.fieldnames or [])
        used = run(lambda: _check(columns, upsert_by))
        failed = FailedRows(file, columns)
        try:
            tally = run(
                lambda: _import(
                    settings, org, reader, used, raw, upsert_by, dry_run, chunk_size, failed
                )
            )
        finally:
            failed.close()
    if json:
        print_json(tally.as_dict())
    else:
        typer.echo(" ".join(f"{k}={v}" for k, v in tally.as_dict().items()))
    if tally.failed:
        err_console.print(f"failed rows and their errors: {failed.path}")


async def _check(columns: Sequence[str], upsert_by: str | None) -> list[str]:
    return transfer.check_import(columns, upsert_by)


async def _import(
    settings: Settings,
    org_id: UUID,
    reader: csv.DictReader[str],
    used: Sequence[str],
    raw: Any,
    upsert_by: str | None,
    dry_run: bool,
    chunk_size: int,
    failed: FailedRows,
) -> transfer.Tally:
    engine = create_engine(settings)
    try:
        sessions = session_factory(engine)
        principal = await _principal(sessions, org_id)
        tally = transfer.Tally()
        statistics = transfer.Statistics()
        size = max(1, _size(raw))
        with _progress() as progress:
            task = progress.add_task("importing", total=size)

            async def report(result: transfer.ChunkResult, broken: list[transfer.Failure]) -> None:
                result.tally.failed += len(broken)
                tally.add(result.tally)
                if not dry_run:
                    await statistics.grew(sessions, result.tally)
                failed.write(sorted([*broken, *result.failures], key=lambda f: f.row))
                progress.update(task, completed=raw.tell(), description=_describe(tally))

            chunks = _chunks(reader, chunk_size)
            if upsert_by is None:
                await _pipeline(sessions, principal, chunks, used, dry_run, report)
            else:
                await _one_by_one(sessions, principal, chunks, used, upsert_by, dry_run, report)
            progress.update(task, completed=size)
        return tally
    finally:
        await engine.dispose()


Report = Callable[[transfer.ChunkResult, list[transfer.Failure]], Awaitable[None]]
PAUSE_EVERY = 50  # rows built between two turns of the event loop (see _pipeline)


async def _one_by_one(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    chunks: Iterator[list[transfer.Row]],
    used: Sequence[str],
    upsert_by: str | None,
    dry_run: bool,
    report: Report,
) -> None:
    """Chunk after chunk, each in one transaction (an upsert looks up the previous ones' rows)."""
    # Reading and validating the next chunk (CPU) overlaps writing this one (database).
    upcoming = asyncio.create_task(asyncio.to_thread(_next, chunks, used, upsert_by))
    while (ready := await upcoming) is not None:
        prepared, broken = ready
        upcoming = asyncio.create_task(asyncio.to_thread(_next, chunks, used, upsert_by))
        async with _transaction(sessions, dry_run) as session:
            result = await transfer.import_chunk(
                session, principal, prepared, upsert_by=upsert_by, dry_run=dry_run
            )
        await report(result, broken)


async def _pipeline(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    chunks: Iterator[list[transfer.Row]],
    used: Sequence[str],
    dry_run: bool,
    report: Report,
) -> None:
    """Creates only: three chunks in flight, each in one transaction of its own.

    While chunk N is written (COPY and COMMIT: the database works), chunk N+1 is built (its
    rows through the rules of a single create: Python works) and chunk N+2 read and validated
    (a worker thread). Chunk N+1 is checked for uniqueness and numbered only once chunk N is
    committed, so it sees every client written before it, as a one-by-one import would.
    """
    upcoming = asyncio.create_task(asyncio.to_thread(_next, chunks, used, None))
    writing: asyncio.Task[transfer.ChunkResult] | None = None
    written: list[transfer.Failure] = []  # the broken rows of the chunk being written
    try:
        while (ready := await upcoming) is not None:
            prepared, broken = ready
            upcoming = asyncio.create_task(asyncio.to_thread(_next, chunks, used, None))
            session = sessions()
            try:
                staged = await transfer.build_creates(
                    session, principal, prepared, pause_every=PAUSE_EVERY
                )
                if writing is not None:
                    await report(await writing, written)
                    writing = None
                await transfer.check_creates(session, principal, staged, dry_run=dry_run)
            except BaseException:
                await session.close()
                raise
            writing = asyncio.create_task(_write(session, principal, staged, dry_run))
            written = broken
        if writing is not None:
            await report(await writing, written)
            writing = None
    finally:
        if writing is not None:  # stopped by an error: do not leave the last chunk behind
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)


async def _write(
    session: AsyncSession, principal: Principal, staged: transfer.Staged, dry_run: bool
) -> transfer.ChunkResult:
    """Write a built and checked chunk, then commit (roll back on a dry run); closes it."""
    async with session:
        try:
            result = await transfer.write_creates(session, principal, staged, dry_run=dry_run)
            if dry_run:
                await session.rollback()
            else:
                await session.commit()
        except BaseException:
            await session.rollback()
            raise
    return result


async def _principal(sessions: async_sessionmaker[AsyncSession], org_id: UUID) -> Principal:
    async with sessions() as session:
        org = await orgs_service.get(session, org_id)
    return Principal(org.id, org.number, Scope.ADMIN)


@asynccontextmanager
async def _transaction(
    sessions: async_sessionmaker[AsyncSession], dry_run: bool
) -> AsyncIterator[AsyncSession]:
    """A chunk's transaction: committed, or rolled back on a dry run."""
    if not dry_run:
        async with session_scope(sessions) as session:
            yield session
        return
    async with sessions() as session:
        try:
            yield session
        finally:
            await session.rollback()


def _chunks(reader: csv.DictReader[str], size: int) -> Iterator[list[transfer.Row]]:
    rows: Iterator[transfer.Row] = ((reader.line_num, row) for row in reader)
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _next(
    chunks: Iterator[list[transfer.Row]], used: Sequence[str], upsert_by: str | None
) -> tuple[list[transfer.Prepared], list[transfer.Failure]] | None:
    """The next chunk read and checked, or None at the end of the file."""
    chunk = next(chunks, None)
    if chunk is None:
        return None
    rows, broken = _split_broken(chunk)
    return transfer.prepare(used, rows, upsert_by), broken


def _split_broken(chunk: list[transfer.Row]) -> tuple[list[transfer.Row], list[transfer.Failure]]:
    """Rows with more cells than the header has columns fail as they are."""
    rows, broken = [], []
    for line, cells in chunk:
        if None in cells:
            message = "row: more cells than the header has columns"
            broken.append(transfer.Failure(line, cells, message))
        else:
            rows.append((line, cells))
    return rows, broken


def _size(raw: Any) -> int:
    position = raw.tell()
    raw.seek(0, io.SEEK_END)
    size = int(raw.tell())
    raw.seek(position)
    return size


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def _describe(tally: transfer.Tally) -> str:
    return " ".join(f"{k}={v}" for k, v in tally.as_dict().items())


@export_app.command("clients")
def export_clients(
    org: OrgOption,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", dir_okay=False, help="default: stdout")
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="a list parameter NAME=VALUE, repeatable (status=ACTIVE, q=acme, "
            "creditLimit[gte]=1000, sort=-createdAt, includeDeleted=true)",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the organization's clients as CSV (the list filters apply)."""
    settings = settings_for(database_url)
    pairs = []
    for item in filters or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--filter")
        pairs.append((name, value))
    plan = run(lambda: _plan(pairs))
    if output is None:
        run(lambda: _export(settings, org, plan, sys.stdout))
        return
    with output.open("w", encoding="utf-8", newline="") as target:
        run(lambda: _export(settings, org, plan, target))
    err_console.print(f"wrote {output}")


async def _plan(pairs: list[tuple[str, str]]) -> transfer.ExportPlan:
    return transfer.plan_export(pairs)


async def _export(
    settings: Settings, org_id: UUID, plan: transfer.ExportPlan, target: TextIO
) -> None:
    engine = create_engine(settings)
    try:
        sessions = session_factory(engine)
        principal = await _principal(sessions, org_id)
        async for text in transfer.export_csv(sessions, principal, plan):
            target.write(text)
    finally:
        await engine.dispose()
