"""Who is calling: the organization and scope an API key grants."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from uuid import UUID


class Scope(IntEnum):
    """Scopes are ordered: each includes the ones below it."""

    READ = 1
    WRITE = 2
    ADMIN = 3

    @classmethod
    def parse(cls, value: str) -> Scope:
        return cls[value.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Principal:
    organization_id: UUID
    organization_number: int
    scope: Scope
    key_id: UUID | None = None

    def allows(self, needed: Scope) -> bool:
        return self.scope >= needed
