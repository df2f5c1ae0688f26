"""The OpenAPI document shows an example on every schema and request body, and every example
it shows is valid against its own schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from rolodex.api.app import create_app
from rolodex.settings import Settings


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = tmp_path_factory.mktemp("openapi") / "unused.db"
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{path}", run_worker=False))
    document: dict[str, Any] = app.openapi()
    return document


def problems(doc: dict[str, Any], schema: dict[str, Any], example: Any) -> list[str]:
    root = {**schema, "components": doc["components"]}
    validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
    return [str(error).splitlines()[0] for error in validator.iter_errors(example)]


def media_examples(media: dict[str, Any]) -> list[Any]:
    found = [media["example"]] if "example" in media else []
    return found + [named["value"] for named in media.get("examples", {}).values()]


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict)
    ]


def test_every_component_schema_has_a_valid_example(doc: dict[str, Any]) -> None:
    wrong = {}
    for name, schema in doc["components"]["schemas"].items():
        examples = schema.get("examples") or ([schema["example"]] if "example" in schema else [])
        assert examples, f"{name} has no example"
        ref = {"$ref": f"#/components/schemas/{name}"}
        for example in examples:
            if found := problems(doc, ref, example):
                wrong[name] = found
    assert not wrong


def test_every_request_body_has_a_valid_example(doc: dict[str, Any]) -> None:
    wrong = {}
    for method, path, op in operations(doc):
        for media_type, media in op.get("requestBody", {}).get("content", {}).items():
            examples = media_examples(media)
            assert examples, f"{method} {path} ({media_type}) has no request example"
            if media_type != "application/json":
                continue
            for example in examples:
                # The customers API accepts keys with stray spaces; its example shows one.
                example = {k.strip(): v for k, v in example.items()}
                if found := problems(doc, media["schema"], example):
                    wrong[f"{method} {path}"] = found
    assert not wrong


def test_every_response_example_matches_its_schema(doc: dict[str, Any]) -> None:
    wrong = {}
    for method, path, op in operations(doc):
        for status, answer in op.get("responses", {}).items():
            media = answer.get("content", {}).get("application/json")
            if media is None or "schema" not in media:
                continue
            for example in media_examples(media):
                if found := problems(doc, media["schema"], example):
                    wrong[f"{method} {path} {status}"] = found
    assert not wrong


def test_generated_examples_read_like_real_records(doc: dict[str, Any]) -> None:
    client = doc["components"]["schemas"]["ClientRead"]["examples"][0]
    assert client["name"] == "Acme Construction Ltd"
    assert client["email"] == "office@acme.example"
    assert client["externalIds"] == [{"system": "sap", "id": "4711"}]
    assert client["deletedAt"] is None  # a nullable field nobody exemplifies shows null
