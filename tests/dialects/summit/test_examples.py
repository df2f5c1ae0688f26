"""Replays every request example of the Summit document and compares the documented answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import Tenant

GOLDEN = json.loads((Path(__file__).parent / "examples.json").read_text())
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


async def send(client: httpx.AsyncClient, request: dict[str, Any]) -> httpx.Response:
    return await client.request(
        request["method"], request["path"], params=request.get("query"), json=request.get("body")
    )


def assert_matches(actual: Any, documented: Any, company: int, where: str = "") -> None:
    """Field by field: same keys, same values; timestamps by format, companyId by caller."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict) and set(actual) == set(documented), where
        for key, value in documented.items():
            if key in ("createdAt", "updatedAt"):
                assert TIMESTAMP.fullmatch(actual[key]), f"{where}.{key}"
            elif key == "companyId":
                assert actual[key] == company, f"{where}.{key}"
            else:
                assert_matches(actual[key], value, company, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), where
        for index, (got, want) in enumerate(zip(actual, documented, strict=True)):
            assert_matches(got, want, company, f"{where}[{index}]")
    else:
        assert actual == documented and type(actual) is type(documented), where


async def test_every_documented_example(
    summit: httpx.AsyncClient, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    for step in GOLDEN["setup"]:
        assert (await send(summit, step)).status_code == 201
    answers: dict[str, dict[str, Any]] = {}
    for example in GOLDEN["examples"]:
        r = await send(summit, example["request"])
        assert r.status_code == example["status"], (example["title"], r.text)
        assert_matches(r.json(), example["response"], tenant.number, example["title"])
        answers[example["title"]] = r.json()

    created, fetched = answers["Create Client"], answers["Get Client Details"]
    updated, deleted = answers["Update Client"], answers["Delete Client"]
    assert created["createdAt"] == created["updatedAt"] and fetched == created
    assert updated["createdAt"] == created["createdAt"]
    assert created["updatedAt"] <= updated["updatedAt"] <= deleted["updatedAt"]

    # Afterwards: 404, hidden from lists (the list answers as documented again).
    assert (await summit.get("/api/clients/2")).status_code == 404
    listed = await send(summit, GOLDEN["examples"][0]["request"])
    assert_matches(listed.json(), GOLDEN["examples"][0]["response"], tenant.number, "list after")

    # Read back through the native API: the same records.
    native = await api.get("/clients", params={"includeDeleted": "true", "sort": "number"})
    alpha, beta = native.json()["data"]
    assert (alpha["number"], alpha["deletedAt"]) == (1, None)
    assert alpha["streetAndNumber"] == "123 Alpha St, Alphaville" and alpha["paymentTerms"] == 30
    assert beta["number"] == 2 and beta["name"] == "Updated Client Beta"
    assert beta["email"] == "beta@example.com" and beta["phone"] == "555-0102"
    assert beta["deletedAt"] is not None and beta["updatedAt"] == deleted["updatedAt"]
    assert beta["createdAt"] == created["createdAt"]
