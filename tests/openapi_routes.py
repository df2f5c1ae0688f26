"""The app's operations, read from its own OpenAPI document, for tests that cover every route.

Tests built on this (hostile input, tenant isolation, log scanning) pick up the routes other
packages add without a list of their own. Routes hidden from the schema are not covered.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from rolodex.api.app import create_app
from rolodex.settings import Settings

BODY_METHODS = ("POST", "PUT", "PATCH")
_PARAM = re.compile(r"{([^}/]+)}")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template: /master-data/v1/client-management/clients/{client_id}
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    has_body: bool
    example: Any  # the request body example the document gives (None when it gives none)
    tags: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, values: dict[str, str]) -> str:
        return _PARAM.sub(lambda m: values[m.group(1)], self.path)


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document of an app that never touches its database."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


@functools.cache
def operations() -> tuple[Operation, ...]:
    doc = document()
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                continue
            params = op.get("parameters", [])
            body = op.get("requestBody")
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    path_params=tuple(_PARAM.findall(path)),
                    query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                    has_body=body is not None,
                    example=_example(doc, body) if body is not None else None,
                    tags=tuple(op.get("tags", ())),
                )
            )
    return tuple(found)


def _example(doc: dict[str, Any], body: dict[str, Any]) -> Any:
    media = body.get("content", {}).get("application/json", {})
    if media.get("examples"):
        return next(iter(media["examples"].values())).get("value")
    if "example" in media:
        return media["example"]
    schema = media.get("schema", {})
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("examples"):
        return schema["examples"][0]
    return schema.get("example")


ERROR_KEYS = {"status", "success", "message", "error", "details", "requestId"}


def is_error_dto(body: Any, status: int) -> bool:
    """The contract's error DTO (dialects may add fields of their own)."""
    return (
        isinstance(body, dict)
        and body.keys() >= ERROR_KEYS
        and body["status"] == status
        and body["success"] is False
        and isinstance(body["details"], list)
    )
