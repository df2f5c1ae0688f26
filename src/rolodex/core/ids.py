"""Record ids: time-ordered UUID v7, so new rows land at the end of every id index."""

from __future__ import annotations

from uuid import UUID

from uuid_utils import compat


def new_id() -> UUID:
    return compat.uuid7()
