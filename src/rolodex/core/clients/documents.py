"""PostgreSQL: a client as the API shows it, written as JSON by the database itself.

The read routes on PostgreSQL answer a client, or a page of them, with the JSON text that
these expressions make, so that no column is decoded into Python objects and encoded again.
Each document holds what `service.to_read` (and the contact persons' and addresses' own
`to_read`) would answer, key for key and in the same order; `tests/core/test_documents.py`
compares the two renderings on clients with every kind of value. A change to a `to_read` needs
the same change here.

The expressions are SQL text built once from the tables below, run as fixed statements on the
read pool (`core/db.ReadPool`). Each object is `row_to_json(ROW(...)::client_document)`: the row
types (migration 0014) name the keys, in order, so the keys below and the types' attributes
must agree (`tests/core/test_documents.py` checks). A subquery per object,
`(SELECT row_to_json(d) FROM (SELECT ... AS "key") AS d)`, wrote the same text, but PostgreSQL
set it up again on every run: GET one client's statement ran 14% slower. `json_build_object`
was slower still (it looks up every argument's type on every call) and stops at 50 pairs.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID

from rolodex.core.db import ReadPool
from rolodex.core.principal import Principal

# ISO 8601 in UTC with milliseconds and `Z`, the fraction truncated as `clock.format_timestamp`.
_TIMESTAMP = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
EMBEDDABLE = ("contactPersons", "addresses")


def _timestamp(column: str) -> str:
    return _TIMESTAMP.format(column)


def _point(t: str) -> str:
    return (
        f"CASE WHEN {t}.point_lng IS NOT NULL AND {t}.point_lat IS NOT NULL "
        f"THEN json_build_object('lng', {t}.point_lng, 'lat', {t}.point_lat) END"
    )


# The row type of each object, and its keys in order (filled as the expressions are built).
TYPES: dict[str, tuple[str, ...]] = {}


def _object(row_type: str, fields: Sequence[tuple[str, str]]) -> str:
    """A JSON object with these (key, SQL expression) pairs, in order: `row_type`'s
    attributes, which must be these keys."""
    TYPES[row_type] = tuple(key for key, _ in fields)
    values = ", ".join(expression for _, expression in fields)
    return f"row_to_json(ROW({values})::{row_type})"


def _array(select: str) -> str:
    """The rows of `select` (one column) as a JSON array, in its order; `[]` when none.

    `array_to_json(ARRAY(...))` rather than `json_agg(... ORDER BY ...)`: an ordered aggregate
    is set up anew on every run, and the addresses' index already gives their order. PostgreSQL
    spent 6 to 8% less CPU on GET one client's statement (pgbench at 1M)."""
    return f"array_to_json(ARRAY({select}))"


def _address(a: str) -> str:
    return _object(
        "address_document",
        [
            ("id", f"{a}.id"),
            ("number", f"{a}.number"),
            ("clientId", f"{a}.client_id"),
            ("label", f"{a}.label"),
            ("street", f"{a}.street"),
            ("streetAndNumber", f"{a}.street_and_number"),
            ("coAddress", f"{a}.co_address"),
            ("postalCode", f"{a}.postal_code"),
            ("city", f"{a}.city"),
            ("provinceCode", f"{a}.province_code"),
            ("country", f"{a}.country"),
            ("point", _point(a)),
            ("isDelivery", f"{a}.is_delivery"),
            ("isInvoice", f"{a}.is_invoice"),
            ("isVisiting", f"{a}.is_visiting"),
            ("metadata", f"{a}.metadata"),
            ("createdAt", _timestamp(f"{a}.created_at")),
            ("updatedAt", _timestamp(f"{a}.updated_at")),
        ],
    )


def _contact(p: str, link: str) -> str:
    # The contact's live clients, oldest link first (contacts_service.ContactView.client_ids).
    client_ids = _array(
        "SELECT o.client_id FROM client_contact_persons AS o JOIN clients AS lc "
        "ON lc.organization_id = o.organization_id AND lc.id = o.client_id "
        f"WHERE o.organization_id = {link}.organization_id "
        f"AND o.contact_person_id = {p}.id AND lc.deleted_at IS NULL "
        "ORDER BY o.created_at, o.client_id"
    )
    return _object(
        "contact_person_document",
        [
            ("id", f"{p}.id"),
            ("number", f"{p}.number"),
            ("name", f"{p}.name"),
            ("firstName", f"{p}.first_name"),
            ("lastName", f"{p}.last_name"),
            ("jobTitle", f"{p}.job_title"),
            ("department", f"{p}.department"),
            ("email", f"{p}.email"),
            ("email2", f"{p}.email2"),
            ("phone", f"{p}.phone"),
            ("phone2", f"{p}.phone2"),
            ("mobile", f"{p}.mobile"),
            ("fax", f"{p}.fax"),
            ("workPhone", f"{p}.work_phone"),
            ("gender", f"{p}.gender"),
            ("salutation", f"{p}.salutation"),
            ("street", f"{p}.street"),
            ("postalCode", f"{p}.postal_code"),
            ("city", f"{p}.city"),
            ("country", f"{p}.country"),
            ("personalNumber", f"{p}.personal_number"),
            ("isMain", f"{link}.is_main"),
            ("externalId", f"{p}.external_id"),
            ("externalIds", f"{p}.external_ids"),
            ("clientId", f"{link}.client_id"),
            ("clientIds", client_ids),
            ("tags", f"{p}.tags"),
            ("metadata", f"{p}.metadata"),
            ("version", f"{p}.version"),
            ("createdAt", _timestamp(f"{p}.created_at")),
            ("updatedAt", _timestamp(f"{p}.updated_at")),
        ],
    )


def _contact_persons(c: str) -> str:
    """The client's contact persons, main first, then by number (embeds.load's order)."""
    return _array(
        f"SELECT {_contact('p', 'l')} "
        "FROM client_contact_persons AS l JOIN contact_persons AS p ON p.id = l.contact_person_id "
        f"WHERE l.organization_id = {c}.organization_id AND l.client_id = {c}.id "
        "ORDER BY l.is_main DESC, p.number"
    )


def _addresses(c: str) -> str:
    return _array(
        f"SELECT {_address('a')} FROM addresses AS a "
        f"WHERE a.organization_id = {c}.organization_id AND a.client_id = {c}.id "
        "ORDER BY a.number"
    )


def _display_name(c: str) -> str:
    # service.display_name: a person's first and last name when known, otherwise the name.
    full = f"concat_ws(' ', nullif({c}.first_name, ''), nullif({c}.last_name, ''))"
    return f"CASE WHEN {c}.kind = 'PERSON' AND {full} <> '' THEN {full} ELSE {c}.name END"


@cache
def client(table: str = "clients", include: Collection[str] = EMBEDDABLE) -> str:
    """SQL for the JSON document of the client row `table` (a table name or alias in the
    enclosing statement), embedding the lists named in `include` (the others are null)."""
    c = table
    embedded = {
        "contactPersons": _contact_persons(c) if "contactPersons" in include else "NULL::json",
        "addresses": _addresses(c) if "addresses" in include else "NULL::json",
    }
    return _object(
        "client_document",
        [
            ("id", f"{c}.id"),
            ("number", f"{c}.number"),
            ("name", f"{c}.name"),
            ("longName", f"{c}.long_name"),
            ("displayName", _display_name(c)),
            ("kind", f"{c}.kind"),
            ("firstName", f"{c}.first_name"),
            ("lastName", f"{c}.last_name"),
            ("companyName", f"{c}.company_name"),
            ("externalId", f"{c}.external_id"),
            ("customPriceId", f"{c}.custom_price_id"),
            # The read models declare money as a float (json_response writes float(Decimal)).
            ("creditLimit", f"{c}.credit_limit::float8"),
            ("usedLimit", f"{c}.used_limit::float8"),
            ("paymentTerms", f"{c}.payment_terms"),
            ("paymentType", f"{c}.payment_type"),
            ("billingEmail", f"{c}.billing_email"),
            ("additionalInformation", f"{c}.additional_information"),
            ("frameContract", f"{c}.frame_contract"),
            ("selfInsurance", f"{c}.self_insurance"),
            ("pricing", f"{c}.pricing"),
            ("website", f"{c}.website"),
            ("fax", f"{c}.fax"),
            ("phone", f"{c}.phone"),
            ("mobile", f"{c}.mobile"),
            ("workPhone", f"{c}.work_phone"),
            ("email", f"{c}.email"),
            ("vatNumber", f"{c}.vat_number"),
            ("personalNumber", f"{c}.personal_number"),
            ("point", _point(c)),
            ("street", f"{c}.street"),
            ("streetAndNumber", f"{c}.street_and_number"),
            ("postalCode", f"{c}.postal_code"),
            ("city", f"{c}.city"),
            ("provinceCode", f"{c}.province_code"),
            ("country", f"{c}.country"),
            ("department", f"{c}.department"),
            ("invoiceAddressing", f"{c}.invoice_addressing"),
            ("partnerType", f"{c}.partner_type"),
            ("creditworthiness", f"{c}.creditworthiness"),
            ("status", f"{c}.status"),
            ("clientTypeId", f"{c}.client_type_id"),
            ("tags", f"{c}.tags"),
            ("metadata", f"{c}.metadata"),
            ("externalIds", f"{c}.external_ids"),
            ("customFields", f"{c}.custom_fields"),
            ("references", f'{c}."references"'),
            ("archived", f"{c}.archived"),
            ("archivedAt", _timestamp(f"{c}.archived_at")),
            ("deletedAt", _timestamp(f"{c}.deleted_at")),
            ("organization", f"{c}.organization_id"),
            ("structureId", f"{c}.structure_id"),
            ("version", f"{c}.version"),
            ("createdAt", _timestamp(f"{c}.created_at")),
            ("updatedAt", _timestamp(f"{c}.updated_at")),
            ("contactPersons", embedded["contactPersons"]),
            ("addresses", embedded["addresses"]),
        ],
    )


def utf8(table: str = "clients", include: Collection[str] = EMBEDDABLE) -> str:
    """`client(...)` as UTF-8 bytes (bytea), ready to send."""
    return f"convert_to({client(table, tuple(include))}::text, 'UTF8')"


# One client by id, with what a GET answers besides the body: its version (the ETag) and
# whether it is soft-deleted. $1 the tenant, $2 the client's id.
ONE = (
    f"SELECT {utf8('c')} AS document, c.version, c.deleted_at IS NOT NULL AS deleted "
    "FROM clients AS c WHERE c.organization_id = $1 AND c.id = $2"
)


class Document(NamedTuple):
    body: bytes  # the client's JSON
    version: int
    deleted: bool


# Several clients of one tenant by id, each as ONE answers it. $1 the tenant, $2 the ids.
ONE_OF_MANY = (
    f"SELECT c.id, {utf8('c')} AS document, c.version, c.deleted_at IS NOT NULL AS deleted "
    "FROM clients AS c WHERE c.organization_id = $1 AND c.id = ANY($2::uuid[])"
)


async def one(pool: ReadPool, principal: Principal, client_id: UUID) -> Document | None:
    """The client's document, or None when the caller's organization has no such client."""
    gathering = _GATHERINGS.get(pool)
    if gathering is None:
        gathering = _GATHERINGS[pool] = Gathering()
    return await gathering.one(pool, principal.organization_id, client_id)


class Gathering:
    """GET one client's reads, gathered while the read pool is busy.

    A read that finds a connection free runs ONE at once, alone. One that would wait for a
    connection joins its tenant's gathering instead: the first such read queues one statement
    (ONE_OF_MANY) for its tenant, and every read of that tenant that comes while it waits adds
    its id; when the statement's turn comes, it takes all the ids gathered so far and answers
    each read its own row. Under load a worker's requests then share statements: PostgreSQL
    starts a statement's plan once for several clients, and each side of the socket wakes the
    other once. Each read still sees what was committed before it was asked (its statement
    starts later), and tenants never share a statement. A read whose request is cancelled
    leaves the others' answers alone; a failed statement fails each read it carried.
    """

    def __init__(self) -> None:
        # Per tenant: the ids its waiting statement will read, each with its readers' answer.
        self._waiting: dict[UUID, dict[UUID, asyncio.Future[Document | None]]] = {}
        self._statements: set[asyncio.Task[None]] = set()  # referenced until they end

    async def one(self, pool: ReadPool, organization_id: UUID, client_id: UUID) -> Document | None:
        waiting = self._waiting.get(organization_id)
        if waiting is None:
            if not pool.busy:
                row = await pool.fetchrow(ONE, organization_id, client_id)
                return None if row is None else Document(row[0], row[1], row[2])
            waiting = self._waiting[organization_id] = {}
            statement = asyncio.create_task(self._read(pool, organization_id, waiting))
            self._statements.add(statement)
            statement.add_done_callback(self._statements.discard)
        answer = waiting.get(client_id)
        if answer is None:
            answer = waiting[client_id] = asyncio.get_running_loop().create_future()
        # Shielded: a cancelled request must not cancel the answer other readers share.
        return await asyncio.shield(answer)

    async def _read(
        self,
        pool: ReadPool,
        organization_id: UUID,
        waiting: dict[UUID, asyncio.Future[Document | None]],
    ) -> None:
        """The tenant's gathered reads (`waiting`), in one statement when its turn comes."""

        def closed() -> None:
            """No more reads join: the next ones start a gathering of their own."""
            if self._waiting.get(organization_id) is waiting:
                del self._waiting[organization_id]

        def arguments() -> tuple[Any, ...]:
            closed()
            return organization_id, list(waiting)

        try:
            rows = await pool.fetch_at_turn(ONE_OF_MANY, arguments)
        except BaseException as exc:
            closed()
            failure = exc if isinstance(exc, Exception) else RuntimeError("read cancelled")
            for answer in waiting.values():
                if not answer.done():
                    answer.set_exception(failure)
            if failure is not exc:
                raise  # cancelled: the task ends so
            return  # each reader has the error; the task itself ends quietly
        found = {row[0]: Document(row[1], row[2], row[3]) for row in rows}
        for client_id, answer in waiting.items():
            if not answer.done():
                answer.set_result(found.get(client_id))


_GATHERINGS: weakref.WeakKeyDictionary[ReadPool, Gathering] = weakref.WeakKeyDictionary()


@cache
def _many(include: tuple[str, ...]) -> str:
    # $1 the tenant, $2 the clients' ids. `row_version` names the row's version (DocumentCache).
    return (
        f"SELECT c.id, c.row_version, {utf8('c', include)} AS document "
        "FROM clients AS c WHERE c.organization_id = $1 AND c.id = ANY($2::uuid[])"
    )


async def many(
    pool: ReadPool,
    principal: Principal,
    rows: Sequence[tuple[UUID, int]],
    include: Collection[str] = (),
) -> list[bytes]:
    """The documents of the clients `rows` name, as (id, row version) pairs from a page just
    read, in their order. Without `include`, documents of unchanged rows come from DOCUMENTS
    and only the others are read. A client changed since the page was read is shown as it is
    now; one purged meanwhile is left out."""
    wanted = tuple(name for name in EMBEDDABLE if name in include)
    found: dict[UUID, bytes] = {}
    missing = []
    for client_id, row_version in rows:
        cached = None if wanted else DOCUMENTS.get(client_id, row_version)
        if cached is None:
            missing.append(client_id)
        else:
            found[client_id] = cached
    if missing:
        for row in await pool.fetch(_many(wanted), principal.organization_id, missing):
            found[row[0]] = row[2]
            if not wanted:
                DOCUMENTS.put(row[0], row[1], row[2])
    return [found[client_id] for client_id, _ in rows if client_id in found]


@dataclass
class DocumentCache:
    """(client id, row version) -> the client's document without embedded lists, kept by each
    process for the rows its lists show again and again (a first page, a search).

    The version is `clients.row_version`, the transaction that wrote the row version (as
    PostgreSQL's `xmin`, but in the sort indexes; migration 0016): every UPDATE of the row,
    whatever makes it (the ORM, a trigger, plain SQL), gives the row a new one through a
    trigger, a new row has a new id, and the document depends on nothing but the row. So a hit
    is always the row as it is in the page just read; a changed row is a miss, read afresh.
    Bounded by the documents' size (`max_bytes`, the least recently used go first); an entry
    also expires after `seconds`.
    """

    max_bytes: int = 16 * 1024 * 1024
    seconds: float = 3600.0
    _entries: OrderedDict[tuple[UUID, int], tuple[bytes, float]] = field(
        default_factory=OrderedDict
    )
    _bytes: int = 0

    def get(self, client_id: UUID, row_version: int) -> bytes | None:
        key = (client_id, row_version)
        found = self._entries.get(key)
        if found is None:
            return None
        if found[1] <= time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, client_id: UUID, row_version: int, document: bytes) -> None:
        if len(document) > self.max_bytes:
            return
        key = (client_id, row_version)
        self._drop(key)
        self._entries[key] = (document, time.monotonic() + self.seconds)
        self._bytes += len(document)
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[UUID, int]) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._bytes -= len(found[0])

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0


# One per process, sized from the settings when an app is made.
DOCUMENTS = DocumentCache()
