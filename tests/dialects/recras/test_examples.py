"""Replays every request example of the Recras document and compares the documented answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import Tenant
from tests.dialects.recras.conftest import NextNumber

GOLDEN = json.loads((Path(__file__).parent / "examples.json").read_text())


async def replay(
    recras: httpx.AsyncClient, tenant: Tenant, next_number: NextNumber, step: dict[str, Any]
) -> httpx.Response:
    for kind, number in step.get("numbers", {}).items():
        await next_number(kind, number)
    request = step["request"]
    return await recras.request(
        request["method"],
        request["path"],
        params=request.get("query"),
        json=request.get("body"),
        headers=tenant.headers(step.get("key", "write")),
    )


def assert_matches(actual: Any, documented: Any, where: str = "") -> None:
    """Field by field: the same keys and the same values of the same JSON types."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(documented), (where, set(actual) ^ set(documented))
        for key, value in documented.items():
            assert_matches(actual[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), (where, actual)
        for index, (got, want) in enumerate(zip(actual, documented, strict=True)):
            assert_matches(got, want, f"{where}[{index}]")
    else:
        assert actual == documented and type(actual) is type(documented), (where, actual)


def assert_error(actual: dict[str, Any], documented: dict[str, Any], where: str) -> None:
    """An error DTO: status, success, error and the fields named; the message by presence."""
    assert set(actual) == {"status", "success", "message", "error", "details", "requestId"}, where
    for key in ("status", "success", "error"):
        assert actual[key] == documented[key], (where, key, actual)
    fields = [detail["field"] for detail in actual["details"]]
    assert fields == [detail["field"] for detail in documented["details"]], (where, actual)
    assert isinstance(actual["message"], str) and actual["message"], where


async def test_every_documented_example(
    recras: httpx.AsyncClient, api: httpx.AsyncClient, tenant: Tenant, next_number: NextNumber
) -> None:
    for step in GOLDEN["setup"] + GOLDEN["examples"]:
        r = await replay(recras, tenant, next_number, step)
        assert r.status_code == step["status"], (step["title"], r.text)
        if r.status_code >= 400:
            assert_error(r.json(), step["response"], step["title"])
        else:
            assert_matches(r.json(), step["response"], step["title"])

    # Read back through the native API: the same records.
    clients = (await api.get("/clients", params={"sort": "number"})).json()["data"]
    assert [c["number"] for c in clients] == [17, 62, 83]
    seventeen, _, created = clients
    assert seventeen["streetAndNumber"] == "Testraat 23" and seventeen["provinceCode"] == "NL-DR"
    assert (seventeen["website"], seventeen["clientTypeId"], seventeen["department"]) == (
        None,
        None,
        "",
    )
    assert seventeen["metadata"] == {
        "recras.bedrijf_id": 2,
        "recras.website": "",
        "recras.soort_klant": "",
    }
    native = (await api.get(f"/clients/{created['id']}")).json()
    assert native["name"] == "Voorbeeldgroep" and native["city"] == "Amsterdam"
    assert (native["postalCode"], native["provinceCode"]) == ("1337 XD", "NL-NH")
    assert native["website"] is None and native["department"] == "Sales"
    assert native["metadata"] == {"recras.bedrijf_id": 1, "recras.website": ""}
    assert native["customFields"] == {"shoe_size": 42}
    family = (await api.get(f"/client-types/{native['clientTypeId']}")).json()
    assert family["name"] == "Familie"
    shoe = (await api.get("/custom-fields/shoe_size")).json()
    assert (shoe["label"], shoe["type"]) == ("Shoe size", "number")
    assert [(c["number"], c["isMain"]) for c in native["contactPersons"]] == [
        (18, True),
        (19, False),
    ]
    assert native["contactPersons"][1]["gender"] == "FEMALE"
    # Contact person 15 stays with customer 17; 17 (the merged main contact), left without a
    # customer by the PUT, is gone.
    janny = (await api.get(f"/clients/{seventeen['id']}")).json()["contactPersons"]
    assert [(c["number"], c["name"], c["isMain"]) for c in janny] == [(15, "Janny Jansen", True)]
    numbers = [c["number"] for c in (await api.get("/contact-persons")).json()["data"]]
    assert sorted(numbers) == [15, 16, 18, 19]
