"""Replays the example requests of examples.json (every row of the document's table is in them)
and compares the answers exactly, then reads the records back through the native API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

GOLDEN = json.loads((Path(__file__).parent / "examples.json").read_text())


async def send(client: httpx.AsyncClient, request: dict[str, Any]) -> httpx.Response:
    return await client.request(
        request["method"], request["path"], params=request.get("query"), json=request.get("body")
    )


def comparable(answer: Any) -> Any:
    """The answer with its request id (different every time) reduced to its presence."""
    if isinstance(answer, dict) and "requestId" in answer:
        return answer | {"requestId": bool(answer["requestId"])}
    return answer


async def test_every_example(timewave: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    for step in GOLDEN["setup"]:
        assert (await send(api, step)).status_code == 201
    for example in GOLDEN["examples"]:
        r = await send(timewave, example["request"])
        assert r.status_code == example["status"], (example["title"], r.text)
        assert comparable(r.json()) == example["response"], example["title"]

    native = (await api.get("/clients", params={"includeDeleted": "true", "sort": "number"})).json()
    company, person = native["data"]
    assert (company["name"], company["status"], company["paymentType"]) == (
        "Andersson Bygg AB",
        "INACTIVE",
        "PRINT",
    )
    assert (company["paymentTerms"], company["deletedAt"]) == (15, None)
    assert company["metadata"]["timewave.number"] == "1001"
    assert company["references"] == [
        {"id": 1, "name": "Order", "description": "Purchase order 4712"}
    ]
    assert (person["name"], person["kind"], person["status"]) == ("Anna Berg", "PERSON", "PROSPECT")
    assert person["deletedAt"] is not None and person["paymentType"] == "KIVRA"
    addresses = (await api.get(f"/clients/{company['id']}/addresses")).json()["data"]
    assert [(a["isDelivery"], a["isInvoice"], a["city"]) for a in addresses] == [
        (False, False, "Stockholm"),
        (False, True, "Stockholm"),
    ]
