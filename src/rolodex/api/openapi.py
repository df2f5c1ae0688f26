"""OpenAPI additions FastAPI does not make by itself: links from a create to its record."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI


def add_links(doc: dict[str, Any]) -> dict[str, Any]:
    """Link each `POST /things` 201 to the operations on `/things/{id}` (and `/things/{id}/x`).

    The created record's `id` fills the path parameter, so clients and stateful testers (our
    schemathesis run) can follow a create to its reads, updates and deletes. Every router
    mounted on the app gets them, its own routes named by nothing here.
    """
    paths: dict[str, dict[str, Any]] = doc.get("paths", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        below = re.compile(re.escape(path) + r"/\{([^}/]+)\}(?:/[^{}]*)?")
        links: dict[str, Any] = {}
        for other, other_item in paths.items():
            match = below.fullmatch(other)
            if match is None:
                continue
            for method, operation in other_item.items():
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                name = _link_name(operation.get("summary") or f"{method} {other[len(path) :]}")
                links[name] = {
                    "operationId": operation["operationId"],
                    "parameters": {match.group(1): "$response.body#/id"},
                }
        if links:
            created.setdefault("links", {}).update(links)
    return doc


def _link_name(text: str) -> str:
    """`Get Client` -> `GetClient` (link names are identifiers)."""
    return "".join(word.capitalize() for word in re.findall(r"[A-Za-z0-9]+", text))


def install(app: FastAPI) -> None:
    """Serve the document with the additions above."""
    original: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
