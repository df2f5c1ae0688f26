"""Request bodies for tests."""

from __future__ import annotations

import itertools
from typing import Any

_seq = itertools.count(1)


def client_body(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    body: dict[str, Any] = {"name": f"Client {n}", "email": f"client{n}@example.com"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}
