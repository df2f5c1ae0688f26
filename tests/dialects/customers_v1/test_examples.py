"""Replays every request example of the customers & orders document against its printed answer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

GOLDEN = json.loads((Path(__file__).parent / "examples.json").read_text())
REF = re.compile(r"\{([a-z]+)(\.uuid)?\}")


class Refs:
    """The customers the replay created: their `_id` and native id, by the golden's names."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.ids: dict[str, tuple[int, str]] = {}

    async def add(self, ref: str, number: int) -> None:
        r = await self.api.get("/clients", params={"number": number})
        (native,) = r.json()["data"]
        self.ids[ref] = (number, native["id"])

    def fill(self, value: Any) -> Any:
        """`{ref}` -> its _id, `{ref.uuid}` -> its native id, in paths and bodies."""
        if isinstance(value, str):
            return REF.sub(lambda m: str(self.ids[m[1]][1 if m[2] else 0]), value)
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        return value


async def send(
    customers: httpx.AsyncClient, api: httpx.AsyncClient, refs: Refs, step: dict[str, Any]
) -> httpx.Response:
    client = api if step.get("native") else customers
    r = await client.request(
        step["method"],
        refs.fill(step["path"]),
        params=step.get("query"),
        json=refs.fill(step.get("body")),
    )
    if step.get("ref") and r.status_code == 200:
        await refs.add(step["ref"], r.json()["customer"]["_id"])
    return r


def _matches(pattern: str, path: str) -> bool:
    wanted, got = pattern.split("."), path.split(".")
    return len(wanted) == len(got) and all(w in ("*", g) for w, g in zip(wanted, got, strict=True))


def assert_matches(actual: Any, documented: Any, example: dict[str, Any], path: str = "") -> None:
    """Field by field: same keys, same values and types; `vary` by type, `answered` by value."""
    where = f"{example['title']}: {path}"
    answered = example.get("answered", {})
    if path in answered:
        assert actual == answered[path], where
    elif any(_matches(pattern, path) for pattern in example.get("vary", [])):
        assert type(actual) is type(documented), where
    elif isinstance(documented, dict):
        assert isinstance(actual, dict) and set(actual) == set(documented), where
        for key, value in documented.items():
            assert_matches(actual[key], value, example, f"{path}.{key}".lstrip("."))
    elif isinstance(documented, list):
        assert isinstance(actual, list) and len(actual) == len(documented), where
        for index, (got, want) in enumerate(zip(actual, documented, strict=True)):
            assert_matches(got, want, example, f"{path}.{index}".lstrip("."))
    else:
        assert actual == documented and type(actual) is type(documented), where


async def test_every_documented_example(
    customers: httpx.AsyncClient, api: httpx.AsyncClient
) -> None:
    refs = Refs(api)
    answers: dict[str, Any] = {}
    for example in GOLDEN["examples"]:
        for step in example.get("setup", []):
            r = await send(customers, api, refs, step)
            assert r.status_code in (200, 201), (example["title"], r.text)
        r = await send(customers, api, refs, example["request"] | {"ref": example.get("ref")})
        assert r.status_code == example["status"], (example["title"], r.text)
        if example["response"] is not None:
            assert_matches(r.json(), example["response"], example)
        answers[example["title"]] = r.json()

    # The removed customer is answered as it was, then it is gone (404, and not listed).
    changed, removed = answers["Change customer"], answers["Remove a customer"]
    assert removed == changed
    removed_id = removed["customer"]["_id"]
    r = await customers.get(f"/v1.0/customers/{removed_id}")
    assert r.status_code == 404 and r.json()["error"] == "NOT_FOUND"
    listed = (await customers.get("/v1.0/customers")).json()["customers"]
    assert removed_id not in [c["_id"] for c in listed] and len(listed) == 3

    # An order's submitdate is the time it was submitted: after its date, not in the future.
    submitted = answers["Get a list of customer orders"]["orders"][1]
    assert submitted["submitdate"] > submitted["date"]

    # Read back through the native API: the same records.
    native = await api.get("/clients", params={"includeDeleted": "true", "sort": "number"})
    google, peter, postman, licensee = native.json()["data"]
    assert postman["number"] == removed_id
    assert (google["firstName"], google["lastName"], google["companyName"]) == (
        "My first name",
        "My last name",
        "Google",
    )
    assert (google["name"], google["kind"], google["status"]) == ("Google", "COMPANY", "INACTIVE")
    assert (google["email"], google["phone"]) == ("cust@gmail.com", "123-12-12")
    assert google["additionalInformation"] == "test" and google["externalId"] is None
    assert google["metadata"] == {} and (google["archived"], google["archivedAt"]) == (False, None)
    assert (peter["name"], peter["kind"], peter["status"]) == ("Peter", "PERSON", "ACTIVE")
    assert (peter["firstName"], peter["lastName"], peter["companyName"]) == ("Peter", None, None)
    assert peter["additionalInformation"] is None and peter["phone"] == "8"
    assert (postman["firstName"], postman["name"], postman["status"]) == (
        "PostManPut",
        "Google",
        "ACTIVE",
    )
    assert postman["phone"] == "111-11-11" and postman["deletedAt"] is not None
    assert postman["additionalInformation"] == "Created by postman By"
    assert (licensee["name"], licensee["kind"]) == ("Lena Licensee", "PERSON")

    orders = (await api.get(f"/clients/{licensee['id']}/orders", params={"sort": "number"})).json()
    first, second = orders["data"]
    assert (first["status"], first["date"], first["submittedAt"]) == (
        "DRAFT",
        "2018-05-28T09:52:28.000Z",
        None,
    )
    assert (
        second["status"] == "SUBMITTED" and second["metadata"]["activationbirthdate"] == 1538463338
    )
