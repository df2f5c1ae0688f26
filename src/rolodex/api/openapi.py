"""OpenAPI additions FastAPI does not make by itself: links from a create to its record, and
an example on every schema and request body."""

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


# Values for properties no schema gives an example for, by property name, then by format.
_BY_NAME: dict[str, Any] = {
    "name": "Acme Construction Ltd",
    "displayName": "Acme Construction Ltd",
    "companyName": "Acme Construction Ltd",
    "longName": "Acme Construction Limited",
    "firstName": "Maria",
    "lastName": "Lindqvist",
    "email": "office@acme.example",
    "billingEmail": "invoices@acme.example",
    "phone": "+46 8 123 456 78",
    "mobile": "+46 70 123 45 67",
    "street": "Storgatan",
    "streetAndNumber": "Storgatan 12",
    "postalCode": "111 22",
    "city": "Stockholm",
    "country": "SE",
    "label": "Head office",
    "url": "https://erp.acme.example/hooks/rolodex",
    "message": "Client 0192f0c4-7a3e-7c1d-9b2e-5d8f3a6b1c20 not found",
    "error": "NOT_FOUND",
    "type": "client.updated",
    "system": "sap",
    "description": "Key account, invoiced monthly",
    "tags": ["key-account"],
    "metadata": {"erpSystem": "sap"},
    "customFields": {"segment": "enterprise"},
    "externalIds": [{"system": "sap", "id": "4711"}],
    "references": [{"name": "Order", "description": "Purchase order 4711"}],
}
_BY_FORMAT: dict[str, str] = {
    "uuid": "0192f0c4-7a3e-7c1d-9b2e-5d8f3a6b1c20",
    "date-time": "2026-01-15T09:30:00Z",
    "date": "2026-01-15",
    "email": "office@acme.example",
    "uri": "https://erp.acme.example/hooks/rolodex",
}
_FORMATS = {
    "uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "date-time": r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
    "date": r"\d{4}-\d\d-\d\d",
    "email": r"[^@\s]+@[^@\s]+",
    "uri": r"https?://\S+",
}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}
_ABSENT = object()  # a property the schema forbids (`not: {}`): left out of the example


def add_examples(doc: dict[str, Any]) -> dict[str, Any]:
    """Give every component schema, and every request body, an example.

    Hand-written examples win: a schema's own `examples`, then its fields' `examples`, then a
    realistic value by field name, then a value another schema shows for a field of the same
    name and type (`ClientRead.vatNumber` borrows `ClientCreate.vatNumber`'s), then one by
    format. A nullable field nobody gives an example for shows `null`. A test validates each
    result against its schema, so a generated example cannot contradict the document.
    """
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    maker = _ExampleMaker(schemas)
    for name, schema in schemas.items():
        if _has_example(schema):
            for example in schema.get("examples") or [schema.get("example")]:
                maker.restore_nulls(schema, example)
        else:
            schema["examples"] = [maker.component(name)]
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody") or {}
            for media in body.get("content", {}).values():
                if "example" not in media and "examples" not in media:
                    media["example"] = maker.value(media.get("schema", {}))
            answers = [a.get("content", {}) for a in operation.get("responses", {}).values()]
            for media in [
                *body.get("content", {}).values(),
                *(m for c in answers for m in c.values()),
            ]:
                for example in [
                    media.get("example"),
                    *(e.get("value") for e in media.get("examples", {}).values()),
                ]:
                    maker.restore_nulls(media.get("schema", {}), example)
    return doc


def _has_example(schema: dict[str, Any]) -> bool:
    return bool(schema.get("examples")) or "example" in schema


def _own_example(schema: dict[str, Any]) -> Any:
    return schema["examples"][0] if schema.get("examples") else schema["example"]


class _ExampleMaker:
    """Builds one example value per schema, resolving `$ref`s into the components."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.made: dict[str, Any] = {}
        self.making: set[str] = set()
        self.borrowed = self._borrowable(schemas)

    @staticmethod
    def _borrowable(schemas: dict[str, Any]) -> dict[str, list[Any]]:
        """Field name -> the example values some schema shows for a field of that name."""
        seen: dict[str, list[Any]] = {}
        for schema in schemas.values():
            for field, prop in schema.get("properties", {}).items():
                seen.setdefault(field, []).extend(prop.get("examples") or [])
            for example in schema.get("examples") or []:
                if isinstance(example, dict):
                    for field, value in example.items():
                        seen.setdefault(field, []).append(value)
        return seen

    def component(self, name: str) -> Any:
        if name not in self.made:
            schema = self.schemas[name]
            if _has_example(schema):
                self.made[name] = _own_example(schema)
            elif name in self.making:  # a recursive schema: stop here
                return None
            else:
                self.making.add(name)
                self.made[name] = self.value(schema)
                self.making.discard(name)
        return self.made[name]

    def restore_nulls(self, schema: dict[str, Any], example: Any) -> None:
        """Put back the `null`s FastAPI's encoder strips from hand-written examples.

        FastAPI renders the document with `exclude_none`, which also drops `"afdeling": null`
        from an example, so the example would miss a required field. Each required field that
        is missing and may be null is set to null again, through nested objects and lists.
        """
        schema = self.resolve(schema)
        if isinstance(example, list):
            items: dict[str, Any] = schema.get("items") or {}
            for element in example if items else []:
                self.restore_nulls(items, element)
            return
        if not isinstance(example, dict):
            return
        for option in schema.get("anyOf", []) + schema.get("oneOf", []):
            if self.resolve(option).get("type") == "object":
                schema = self.resolve(option)
        properties = schema.get("properties", {})
        for field in schema.get("required", []):
            if field not in example and field in properties and _may_be_null(properties[field]):
                example[field] = None
        for field, value in example.items():
            if field in properties:
                prop = properties[field]
                for option in [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]:
                    if "$ref" in option or "items" in option or "properties" in option:
                        self.restore_nulls(option, value)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def value(
        self, schema: dict[str, Any], field: str | None = None, nullable: bool = False
    ) -> Any:
        if _has_example(schema):
            return _own_example(schema)
        if "$ref" in schema:
            return self.component(schema["$ref"].rsplit("/", 1)[-1])
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        if "not" in schema:
            return _ABSENT
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"]
                nullable = len(options) < len(schema[key])
                return self.value(options[0], field, nullable) if options else None
        kind = schema.get("type", "object")
        if isinstance(kind, list):
            nullable = nullable or "null" in kind
            kind = next((k for k in kind if k != "null"), "null")
        if field is not None and kind in ("string", "integer", "number", "boolean", "array"):
            if kind == "array" and "$ref" not in schema.get("items", {}) and field in _BY_NAME:
                return _BY_NAME[field]
            for candidate in [_BY_NAME.get(field), *self.borrowed.get(field, [])]:
                if candidate is not None and _fits(schema, kind, candidate):
                    return candidate
            if kind == "string" and field.endswith("At") and not nullable:
                return _BY_FORMAT["date-time"]
        if kind == "object" and field in _BY_NAME and "properties" not in schema:
            return _BY_NAME[field]
        if schema.get("default") is not None:
            return schema["default"]
        if nullable and kind != "array":  # an embedded list is worth showing
            return None
        return self._by_type(schema, kind)

    def _by_type(self, schema: dict[str, Any], kind: str) -> Any:
        if kind == "object":
            values = {f: self.value(p, f) for f, p in schema.get("properties", {}).items()}
            return {field: value for field, value in values.items() if value is not _ABSENT}
        if kind == "array":
            items = schema.get("items")
            return [self.value(items)] * max(1, schema.get("minItems", 1)) if items else []
        if kind == "string":
            if schema.get("format") in _BY_FORMAT:
                return _BY_FORMAT[schema["format"]]
            return "example"[: schema.get("maxLength", 7)].ljust(schema.get("minLength", 1), "x")
        if kind in ("integer", "number"):
            return max(1, int(schema.get("minimum", 1)))
        if kind == "boolean":
            return False
        return None


def _may_be_null(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    options = schema.get("anyOf", []) + schema.get("oneOf", [])
    return (
        kinds == "null"
        or (isinstance(kinds, list) and "null" in kinds)
        or any(o.get("type") == "null" for o in options)
    )


def _fits(schema: dict[str, Any], kind: str, value: Any) -> bool:
    """A cheap check that a borrowed value suits the schema (the test checks fully)."""
    if isinstance(value, bool) != (kind == "boolean"):
        return False
    if kind == "array":  # only lists of plain strings are borrowed (tags), never of objects
        items = schema.get("items", {})
        return (
            isinstance(value, list)
            and "$ref" not in items
            and all(isinstance(v, str) for v in value)
        )
    if not isinstance(value, _JSON_TYPES[kind]):
        return False
    if isinstance(value, str) and not (
        schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
    ):
        return False
    if "pattern" in schema and re.search(schema["pattern"], str(value)) is None:
        return False
    fmt = schema.get("format")
    return fmt not in _FORMATS or re.fullmatch(_FORMATS[fmt], str(value)) is not None


def install(app: FastAPI) -> None:
    """Serve the document with the additions above."""
    original: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_examples(add_links(original()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
