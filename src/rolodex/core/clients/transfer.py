"""CSV import and export of clients, chunk by chunk (memory does not grow with the file).

Import: each chunk of rows runs in one transaction. Rows are matched to live clients by the
`upsert_by` key (externalId, email, id or externalIds.<system>) in one query per chunk; matched
rows are PATCHed with the file's columns (an empty cell clears the field, a dotted column sets
or removes one key) unless nothing would change; the others are created through
`bulk.create_many`, validated by ClientCreate and the same rules as a single create.
Export: keyset pages through the list mechanism, a short transaction each, so the list filters
and sort apply and a long export holds no transaction open.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.core import listing
from rolodex.core.clients import bulk, csv_format, repository
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.csv_format import EMPTY
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate, ClientUpdate
from rolodex.core.errors import FieldIssue, Invalid, RolodexError
from rolodex.core.principal import Principal

UPSERT_KEYS = ("externalId", "email", "id", "externalIds.<system>")
EXPORT_PAGE = 1000
NOT_FOR_EXPORT = ("page", "limit", "cursor")

Row = tuple[int, Mapping[str, str | None]]  # (row number in the file, cells by column)


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    def add(self, other: Tally) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class Failure:
    row: int
    cells: Mapping[str, str | None]
    message: str


@dataclass
class ChunkResult:
    tally: Tally = field(default_factory=Tally)
    failures: list[Failure] = field(default_factory=list)

    def fail(self, row: Row, problem: RolodexError | ValidationError) -> None:
        self.tally.failed += 1
        self.failures.append(Failure(row[0], row[1], describe(problem)))

    def add(self, other: ChunkResult) -> None:
        self.tally.add(other.tally)
        self.failures += other.failures


def check_import(columns: Sequence[str], upsert_by: str | None) -> list[str]:
    """The columns the import reads; Invalid on unknown columns or an unusable upsert key."""
    used = csv_format.check_header(columns)
    if upsert_by is None:
        return used
    prefix, dot, system = upsert_by.partition(".")
    valid = upsert_by in ("externalId", "email", "id") or (prefix == "externalIds" and system)
    if not valid:
        raise Invalid.field("upsertBy", f"must be one of {', '.join(UPSERT_KEYS)}")
    if upsert_by not in columns:
        raise Invalid.field("upsertBy", f"the file has no {upsert_by} column")
    return used


@dataclass
class Prepared:
    """A row read and checked without the database (so a worker thread can do it)."""

    row: Row
    key: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    create: ClientCreate | ValidationError | None = None  # the row as a new client, if checked
    problem: RolodexError | None = None  # a bad upsert key: the row fails as it is


def prepare(columns: Sequence[str], rows: Sequence[Row], upsert_by: str | None) -> list[Prepared]:
    """Parse and validate rows (CPU only: safe to overlap with the previous chunk's writes)."""
    prepared = []
    for row in rows:
        try:
            key = _key(row[1], upsert_by)
        except Invalid as exc:
            prepared.append(Prepared(row, problem=exc))
            continue
        fields = csv_format.row_fields(row[1], columns)
        # With an upsert key most rows of a re-run are updates: check those as creates only
        # once they turn out to be creates.
        create = None if upsert_by is not None else _validate_create(fields)
        prepared.append(Prepared(row, key, fields, create))
    return prepared


def _validate_create(fields: Mapping[str, Any]) -> ClientCreate | ValidationError:
    try:
        return ClientCreate.model_validate(_create_body(fields))
    except ValidationError as exc:
        return exc


async def import_chunk(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[Prepared],
    *,
    upsert_by: str | None = None,
    dry_run: bool = False,
) -> ChunkResult:
    """Create or update the clients of these rows (one transaction, the caller's)."""
    result = ChunkResult()
    pending = []
    for item in rows:
        if item.problem is not None:
            result.fail(item.row, item.problem)
        else:
            pending.append(item)
    while pending:  # a key seen twice in a chunk: the second row waits for the first
        pending = await _round(session, principal, pending, upsert_by, dry_run, result)
    return result


async def _round(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[Prepared],
    upsert_by: str | None,
    dry_run: bool,
    result: ChunkResult,
) -> list[Prepared]:
    existing = await _existing(session, principal, upsert_by, {i.key for i in rows if i.key})
    creates: list[Prepared] = []
    updates: list[tuple[Prepared, Client]] = []
    later: list[Prepared] = []
    seen: set[str] = set()
    for item in rows:
        if item.key is not None and item.key in seen:
            later.append(item)
            continue
        if item.key is not None:
            seen.add(item.key)
        if item.key is not None and item.key in existing:
            updates.append((item, existing[item.key]))
        else:
            creates.append(item)
    await _create(session, principal, creates, dry_run, result)
    for item, client in updates:
        await _update(session, principal, item.row, item.fields, client, result)
    return later


class Statistics:
    """Keeps the planner's picture of the client tables current during a long import.

    A table that grows from empty to a million rows within minutes is not analysed by
    autovacuum in time, and with the statistics of an empty table PostgreSQL scans instead of
    probing the unique indexes: each chunk's lookups would get slower as the table grows.
    Analysing whenever the rows written since the last time reach the number seen then (at
    least `first`) keeps the lookups cheap at the cost of about log2(rows) ANALYZE runs.
    """

    def __init__(self, first: int = 5000) -> None:
        self.first = first
        self.written = 0
        self.at_last = 0

    async def grew(self, sessions: async_sessionmaker[AsyncSession], tally: Tally) -> None:
        """Count the rows a chunk wrote; ANALYZE when they have doubled."""
        self.written += tally.created + tally.updated
        if self.written - self.at_last >= max(self.first, self.at_last):
            async with sessions() as session:
                await repository.analyze(session)
                await session.commit()
            self.at_last = self.written


def _key(cells: Mapping[str, str | None], upsert_by: str | None) -> str | None:
    if upsert_by is None:
        return None
    value = (cells.get(upsert_by) or "").strip()
    if not value:
        return None
    if upsert_by == "email":
        return value.lower()
    if upsert_by == "id":
        try:
            return str(UUID(value))
        except ValueError:
            raise Invalid.field("id", "not a UUID") from None
    return value


async def _existing(
    session: AsyncSession, principal: Principal, upsert_by: str | None, keys: set[str]
) -> dict[str, Client]:
    """The live clients the keys name, by key."""
    if upsert_by is None or not keys:
        return {}
    if upsert_by.startswith("externalIds."):
        system = upsert_by.partition(".")[2]
        found = await repository.live_by_refs(session, principal, system, sorted(keys))
        return dict(found)
    column = {"externalId": "external_id"}.get(upsert_by, upsert_by)
    clients = await repository.live_by(session, principal, column, sorted(keys))
    if upsert_by == "email":
        return {c.email.lower(): c for c in clients if c.email}
    if upsert_by == "id":
        return {str(c.id): c for c in clients}
    return {c.external_id: c for c in clients if c.external_id}


async def _create(
    session: AsyncSession,
    principal: Principal,
    creates: Sequence[Prepared],
    dry_run: bool,
    result: ChunkResult,
) -> None:
    staged = await build_creates(session, principal, creates)
    await check_creates(session, principal, staged, dry_run=dry_run)
    result.add(await write_creates(session, principal, staged, dry_run=dry_run))


@dataclass
class Staged:
    """Rows to create between their steps (see bulk.py): the result so far, the batch."""

    result: ChunkResult
    rows: list[Row]  # the rows of the batch's items, in order
    batch: bulk.Batch


async def build_creates(
    session: AsyncSession, principal: Principal, items: Sequence[Prepared], *, pause_every: int = 0
) -> Staged:
    """Rows as new clients, checked by every rule that needs no other client (no writes).

    An import without an upsert key runs this for the next chunk while the previous one is
    written (`pause_every`: see bulk.build): it depends on no row of that chunk.
    """
    result = ChunkResult()
    valid: list[tuple[Row, ClientCreate]] = []
    for item in items:
        if item.problem is not None:
            result.fail(item.row, item.problem)
            continue
        checked = item.create if item.create is not None else _validate_create(item.fields)
        if isinstance(checked, ClientCreate):
            valid.append((item.row, checked))
        else:
            result.fail(item.row, checked)
    batch = await bulk.build(
        session, principal, [data for _, data in valid], pause_every=pause_every
    )
    return Staged(result, [row for row, _ in valid], batch)


async def check_creates(
    session: AsyncSession, principal: Principal, staged: Staged, *, dry_run: bool = False
) -> None:
    """Uniqueness against the clients written so far (and within the rows), then numbers."""
    await bulk.check(session, principal, staged.batch, dry_run=dry_run)


async def write_creates(
    session: AsyncSession, principal: Principal, staged: Staged, *, dry_run: bool = False
) -> ChunkResult:
    """The rows' clients and their events (in the session's transaction); the chunk's result."""
    outcomes = await bulk.write(session, principal, staged.batch, dry_run=dry_run)
    for row, outcome in zip(staged.rows, outcomes, strict=True):
        if isinstance(outcome, RolodexError):
            staged.result.fail(row, outcome)
        else:
            staged.result.tally.created += 1
    return staged.result


async def _update(
    session: AsyncSession,
    principal: Principal,
    row: Row,
    fields: dict[str, Any],
    client: Client,
    result: ChunkResult,
) -> None:
    try:
        data = ClientUpdate.model_validate(_update_body(fields, client))
    except ValidationError as exc:
        result.fail(row, exc)
        return
    if not clients_service.would_change(client, data):
        result.tally.unchanged += 1
        return
    try:
        async with session.begin_nested():
            await clients_service.update(session, principal, client.id, data)
    except RolodexError as exc:
        result.fail(row, exc)
        return
    result.tally.updated += 1


def _create_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A create body: empty cells left out, nested columns as objects."""
    body = {k: v for k, v in fields.items() if v is not None and k not in csv_format.NESTED}
    for name in ("metadata", "customFields"):
        values = {k: v for k, v in (fields.get(name) or {}).items() if v is not EMPTY}
        if values:
            body[name] = values
    cells = (fields.get("externalIds") or {}).items()
    refs = [{"system": s, "id": v} for s, v in cells if v is not EMPTY]
    if refs:
        body["externalIds"] = refs
    return body


def _update_body(fields: Mapping[str, Any], client: Client) -> dict[str, Any]:
    """A PATCH body: every column of the file; dotted ones change single keys of the client's."""
    body = {k: v for k, v in fields.items() if k not in csv_format.NESTED}
    for name, current in (("metadata", client.meta), ("customFields", client.custom_fields)):
        if name in fields:
            merged = dict(current or {})
            for key, value in fields[name].items():
                if value is EMPTY:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            body[name] = merged
    if "externalIds" in fields:
        refs = {ref["system"]: ref["id"] for ref in client.external_ids or []}
        for system, value in fields["externalIds"].items():
            if value is EMPTY:
                refs.pop(system, None)
            else:
                refs[system] = value
        body["externalIds"] = [{"system": s, "id": v} for s, v in refs.items()]
    return body


def describe(problem: RolodexError | ValidationError) -> str:
    """One line for the failed-rows file: `field: message; ...`."""
    issues = problem.details if isinstance(problem, RolodexError) else issues_of(problem)
    if not issues:
        return problem.message if isinstance(problem, RolodexError) else str(problem)
    return "; ".join(f"{issue.field}: {issue.message}" for issue in issues)


def issues_of(exc: ValidationError) -> list[FieldIssue]:
    issues = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        issues.append(FieldIssue(path or "row", message.removeprefix("Value error, ")))
    return issues


# ---------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportPlan:
    """A checked export request: the list parameters, sorted by number unless told."""

    params: tuple[tuple[str, str], ...]


def plan_export(params: Iterable[tuple[str, str]]) -> ExportPlan:
    """Check the list parameters of an export (Invalid names a bad one)."""
    pairs = list(params)
    for name, _ in pairs:
        if name in NOT_FOR_EXPORT:
            raise Invalid.field(name, "not supported on an export, which has every match")
    if not any(name == "sort" for name, _ in pairs):
        pairs.append(("sort", "number"))
    listing.parse_list_query(repository.LIST_SPEC, pairs)
    return ExportPlan(tuple(pairs))


async def export_csv(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    plan: ExportPlan,
    *,
    page_size: int | None = None,
) -> AsyncIterator[str]:
    """The CSV text, a header and then a chunk per page of clients."""
    page_size = page_size or EXPORT_PAGE
    async with sessions() as session:
        query = listing.parse_list_query(repository.LIST_SPEC, plan.params)
        metadata_keys, custom_keys, systems = await repository.nested_keys(
            session, principal, query
        )
    columns = csv_format.header(metadata_keys, custom_keys, systems)
    yield _lines([columns])
    cursor: str | None = None
    while True:
        params = plan.params if cursor is None else (*plan.params, ("cursor", cursor))
        query = replace(listing.parse_list_query(repository.LIST_SPEC, params), limit=page_size)
        async with sessions() as session:
            page = await repository.list_page(session, principal, query)
            text = _lines(csv_format.client_row(client, columns) for client in page.items)
        if text:
            yield text
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _lines(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
