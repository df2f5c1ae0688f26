"""POST /clients/batch: up to 500 operations, each on its own (one bad one spoils nothing).

Operations run in the order given. A run of consecutive creates goes through `bulk.create_many`
(a constant number of statements for the run); a create with contact persons or addresses, and
every other operation, runs in its own savepoint, so a failed one is rolled back alone and the
rest of the batch still commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, TypeAdapter, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.clients import bulk
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate, ClientUpdate
from rolodex.core.errors import Invalid, RolodexError
from rolodex.core.principal import Principal
from rolodex.core.schemas import ExternalIdRef, InputModel

MAX_OPERATIONS = 500


class CreateOp(InputModel):
    op: Literal["create"]
    data: ClientCreate


class UpdateOp(InputModel):
    op: Literal["update"]
    id: UUID
    data: ClientUpdate


class UpsertMatch(InputModel):
    """Which client an upsert replaces: by `externalId`, or by one of its `externalIds`."""

    external_id: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    external_ids: ExternalIdRef | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> UpsertMatch:
        if (self.external_id is None) == (self.external_ids is None):
            raise ValueError("give exactly one of externalId and externalIds")
        return self


class UpsertOp(InputModel):
    op: Literal["upsert"]
    match: UpsertMatch
    data: ClientCreate


class DeleteOp(InputModel):
    op: Literal["delete"]
    id: UUID


Operation = CreateOp | UpdateOp | UpsertOp | DeleteOp
_MODELS: dict[str, TypeAdapter[Any]] = {
    "create": TypeAdapter(CreateOp),
    "update": TypeAdapter(UpdateOp),
    "upsert": TypeAdapter(UpsertOp),
    "delete": TypeAdapter(DeleteOp),
}


class BatchRequest(InputModel):
    """Up to 500 operations on clients, run in order, each on its own."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "operations": [
                        {"op": "create", "data": {"name": "Acme"}},
                        {
                            "op": "update",
                            "id": "0192f0c4-0000-7000-8000-000000000000",
                            "data": {"city": "Oslo"},
                        },
                        {
                            "op": "upsert",
                            "match": {"externalIds": {"system": "sap", "id": "4711"}},
                            "data": {"name": "Globex"},
                        },
                        {"op": "delete", "id": "0192f0c4-0000-7000-8000-000000000001"},
                    ]
                }
            ]
        }
    }

    operations: list[Any] = Field(
        max_length=MAX_OPERATIONS,
        description=(
            '`{"op": "create", "data"}`, `{"op": "update", "id", "data"}`, `{"op": "upsert", '
            '"match": {"externalId"} or {"externalIds": {"system", "id"}}, "data"}` (replaces, '
            'as PUT does) or `{"op": "delete", "id"}` (soft delete); at most 500'
        ),
    )


def parse(raw: Any) -> Operation:
    """One operation, checked (pydantic's ValidationError or Invalid when malformed)."""
    if not isinstance(raw, Mapping):
        raise Invalid.field("operation", "must be an object")
    adapter = _MODELS.get(raw.get("op"))  # type: ignore[arg-type]
    if adapter is None:
        raise Invalid.field("op", "must be one of create, update, upsert, delete")
    operation: Operation = adapter.validate_python(raw)
    return operation


@dataclass
class Outcome:
    """What became of one operation: the client (as to_read shows it), or the error."""

    index: int
    data: dict[str, Any] | None = None
    created: bool = False
    error: RolodexError | None = None


async def run(
    session: AsyncSession, principal: Principal, operations: Sequence[tuple[int, Operation]]
) -> list[Outcome]:
    """Run the operations in order; each succeeds or fails on its own."""
    outcomes: list[Outcome] = []
    creates: list[tuple[int, ClientCreate]] = []
    for index, operation in operations:
        if isinstance(operation, CreateOp) and not _nested(operation.data):
            creates.append((index, operation.data))
            continue
        outcomes += await _create_run(session, principal, creates)
        creates = []
        outcomes.append(await _one(session, principal, index, operation))
    outcomes += await _create_run(session, principal, creates)
    return outcomes


async def _create_run(
    session: AsyncSession, principal: Principal, creates: Sequence[tuple[int, ClientCreate]]
) -> list[Outcome]:
    if not creates:
        return []
    results = await bulk.create_many(session, principal, [data for _, data in creates])
    return [
        _outcome(index, result, created=True)
        for (index, _), result in zip(creates, results, strict=True)
    ]


async def _one(
    session: AsyncSession, principal: Principal, index: int, operation: Operation
) -> Outcome:
    try:
        async with session.begin_nested():
            client, created = await _apply(session, principal, operation)
    except RolodexError as exc:
        return Outcome(index, error=exc)
    return _outcome(index, client, created=created)


def _nested(data: ClientCreate) -> bool:
    """Whether a create brings contact persons or addresses (the bulk path writes neither)."""
    return bool(data.contact_persons) or bool(data.addresses)


async def _apply(
    session: AsyncSession, principal: Principal, operation: Operation
) -> tuple[Client, bool]:
    if isinstance(operation, CreateOp):  # one with contact persons or addresses
        return await clients_service.create(session, principal, operation.data), True
    if isinstance(operation, UpdateOp):
        return await clients_service.update(session, principal, operation.id, operation.data), False
    if isinstance(operation, DeleteOp):
        return await clients_service.delete(session, principal, operation.id), False
    assert isinstance(operation, UpsertOp)
    match = operation.match
    if match.external_ids is not None:
        ref = match.external_ids
        return await clients_service.upsert_by_external_ref(
            session, principal, ref.system, ref.id, operation.data
        )
    assert match.external_id is not None
    return await clients_service.upsert_by_external_id(
        session, principal, match.external_id, operation.data
    )


def _outcome(index: int, result: Client | RolodexError, *, created: bool) -> Outcome:
    if isinstance(result, RolodexError):
        return Outcome(index, error=result)
    # Shown at once: a later savepoint rolled back may expire the object.
    return Outcome(index, data=clients_service.to_read(result), created=created)
