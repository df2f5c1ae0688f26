"""Custom-field definitions and clients' customFields, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import Tenant
from tests.factories import client_body

from rolodex.core.custom_fields import service as custom_fields_service

DEFINITIONS: list[dict[str, Any]] = [
    {"key": "note", "type": "text"},
    {"key": "shoeSize", "label": "Shoe size", "type": "number"},
    {"key": "since", "type": "date"},
    {"key": "segment", "type": "singlechoice", "options": ["retail", "wholesale"]},
    {"key": "colors", "type": "multiplechoice", "options": ["red", "green", "blue"]},
]


@pytest.fixture
def admin(tenant: Tenant) -> dict[str, str]:
    return tenant.headers("admin")


@pytest.fixture
async def defined(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for definition in DEFINITIONS:
        r = await api.post("/custom-fields", json=definition, headers=admin)
        assert r.status_code == 201, r.text


async def make_client(api: httpx.AsyncClient, **custom: Any) -> dict[str, Any]:
    r = await api.post("/clients", json=client_body(customFields=custom))
    assert r.status_code == 201, r.text
    return dict(r.json())


def problems(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 400, r.text
    return {d["field"]: d["message"] for d in r.json()["details"]}


BAD_DEFINITIONS: list[dict[str, Any]] = [
    {"key": "1abc", "type": "text"},
    {"key": "a-b", "type": "text"},
    {"key": "k" * 41, "type": "text"},
    {"key": "", "type": "text"},
    {"key": "ok"},
    {"key": "ok", "type": "colour"},
    {"key": "ok", "type": "singlechoice"},
    {"key": "ok", "type": "multiplechoice", "options": []},
    {"key": "ok", "type": "singlechoice", "options": ["a", "a"]},
    {"key": "ok", "type": "singlechoice", "options": [""]},
    {"key": "ok", "type": "text", "options": ["a"]},
    {"key": "ok", "type": "number", "required": "yes"},
    {"key": "ok", "type": "number", "extra": 1},
]

VALUES = [
    ("note", "hello", "hello"),
    ("note", "x" * 1000, "x" * 1000),
    ("note", 5, None),
    ("note", "x" * 1001, None),
    ("note", ["a"], None),
    ("shoeSize", 42, 42),
    ("shoeSize", 41.5, 41.5),
    ("shoeSize", 0, 0),
    ("shoeSize", "42", None),
    ("shoeSize", True, None),
    ("since", "2024-05-01", "2024-05-01"),
    ("since", "2024-05-01T23:30:00-02:00", "2024-05-01"),
    ("since", "2024-02-30", None),
    ("since", "01-05-2024", None),
    ("since", "2024-05-01 and more", None),
    ("since", 20240501, None),
    ("segment", "retail", "retail"),
    ("segment", "Retail", None),
    ("segment", ["retail"], None),
    ("colors", ["red", "blue", "red"], ["red", "blue"]),
    ("colors", [], []),
    ("colors", "red", None),
    ("colors", ["purple"], None),
    ("colors", [1], None),
]


class TestDefinitions:
    async def test_create_read_list(
        self, api: httpx.AsyncClient, admin: dict[str, str], tenant: Tenant
    ) -> None:
        r = await api.post(
            "/custom-fields", json={"key": "shoeSize", "type": "number"}, headers=admin
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["key"] == "shoeSize" and body["label"] == "shoeSize"
        assert body["type"] == "number" and body["options"] == [] and body["required"] is False
        assert set(body) == {
            "key",
            "label",
            "type",
            "options",
            "required",
            "createdAt",
            "updatedAt",
        }
        read = tenant.headers("read")
        assert (await api.get("/custom-fields/shoeSize", headers=read)).json() == body
        assert (await api.get("/custom-fields/shoesize", headers=read)).status_code == 404
        r = await api.get("/custom-fields", headers=read, params={"type": "number"})
        assert [d["key"] for d in r.json()["data"]] == ["shoeSize"]

    async def test_admin_scope_needed_to_change(
        self, api: httpx.AsyncClient, admin: dict[str, str], tenant: Tenant
    ) -> None:
        body = {"key": "note", "type": "text"}
        assert (await api.post("/custom-fields", json=body)).status_code == 403
        assert (await api.post("/custom-fields", json=body, headers=admin)).status_code == 201
        assert (await api.patch("/custom-fields/note", json={"label": "N"})).status_code == 403
        assert (await api.delete("/custom-fields/note")).status_code == 403
        assert (
            await api.get("/custom-fields/note", headers=tenant.headers("read"))
        ).status_code == 200

    async def test_bad_definitions(self, api: httpx.AsyncClient, admin: dict[str, str]) -> None:
        for body in BAD_DEFINITIONS:
            r = await api.post("/custom-fields", json=body, headers=admin)
            assert r.status_code == 400, (body, r.text)
        assert (await api.get("/custom-fields")).json()["data"] == []

    async def test_at_most_so_many_per_organization(
        self, api: httpx.AsyncClient, admin: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(custom_fields_service, "MAX_DEFINITIONS", 2)
        for key in ("a", "b"):
            body = {"key": key, "type": "text"}
            assert (await api.post("/custom-fields", json=body, headers=admin)).status_code == 201
        r = await api.post("/custom-fields", json={"key": "c", "type": "text"}, headers=admin)
        assert r.status_code == 409 and "at most 2" in r.json()["message"]

    async def test_key_unique_regardless_of_case_and_immutable(
        self, api: httpx.AsyncClient, admin: dict[str, str], defined: None
    ) -> None:
        r = await api.post(
            "/custom-fields", json={"key": "SHOESIZE", "type": "text"}, headers=admin
        )
        assert r.status_code == 409 and "shoeSize" in r.json()["message"]
        r = await api.patch("/custom-fields/shoeSize", json={"key": "size"}, headers=admin)
        assert problems(r) == {"key": "cannot be changed; create a new custom field instead"}
        current = (await api.get("/custom-fields/shoeSize")).json()
        r = await api.patch(
            "/custom-fields/shoeSize", json={**current, "label": "Size (EU)"}, headers=admin
        )
        assert r.status_code == 200 and r.json()["label"] == "Size (EU)"
        r = await api.patch("/custom-fields/note", json={"options": ["a"]}, headers=admin)
        assert problems(r).keys() == {"options"}


TYPE_CHANGES: list[tuple[str, Any, dict[str, Any], int]] = [
    ("shoeSize", 42, {"type": "text"}, 409),
    ("note", "abc", {"type": "number"}, 409),
    ("note", "2024-01-31", {"type": "date"}, 200),
    ("note", "2024-02-30", {"type": "date"}, 409),
    ("note", "x" * 20, {"type": "singlechoice", "options": ["x" * 20]}, 200),
    ("note", "abc", {"type": "singlechoice", "options": ["abd"]}, 409),
    ("segment", "retail", {"type": "text"}, 200),
    ("segment", "retail", {"type": "multiplechoice"}, 409),
    ("since", "2024-01-31", {"type": "text"}, 200),
    ("colors", ["red"], {"type": "text"}, 409),
    ("colors", ["red"], {"type": "singlechoice"}, 409),
    ("shoeSize", 42, {"type": "number", "label": "Size"}, 200),
]


class TestValues:
    async def test_each_type(self, api: httpx.AsyncClient, defined: None) -> None:
        for key, value, stored in VALUES:
            r = await api.post("/clients", json=client_body(customFields={key: value}))
            if stored is None:
                assert list(problems(r)) == [f"customFields.{key}"], (key, value)
                continue
            assert r.status_code == 201, (key, value, r.text)
            assert r.json()["customFields"] == {key: stored}
            patched = await api.patch(
                f"/clients/{r.json()['id']}", json={"customFields": {key: value}}
            )
            assert patched.json()["customFields"] == {key: stored}

    async def test_unknown_keys_named(self, api: httpx.AsyncClient, defined: None) -> None:
        r = await api.post(
            "/clients", json=client_body(customFields={"nope": 1, "ShoeSize": 40, "note": 1})
        )
        found = problems(r)
        assert found["customFields.nope"] == "unknown custom field"
        assert "did you mean 'shoeSize'" in found["customFields.ShoeSize"]
        assert "customFields.note" in found

    async def test_another_organizations_key_is_unknown(
        self, api: httpx.AsyncClient, defined: None, other_tenant: Tenant
    ) -> None:
        r = await api.post(
            "/clients",
            json=client_body(customFields={"shoeSize": 40}),
            headers=other_tenant.headers("write"),
        )
        assert list(problems(r)) == ["customFields.shoeSize"]

    async def test_patch_merges_by_key(self, api: httpx.AsyncClient, defined: None) -> None:
        made = await make_client(api, note="a", shoeSize=40)
        url = f"/clients/{made['id']}"
        r = await api.patch(url, json={"customFields": {"segment": "retail"}})
        assert r.json()["customFields"] == {"note": "a", "shoeSize": 40, "segment": "retail"}
        r = await api.patch(url, json={"customFields": {"note": None, "shoeSize": 41}})
        assert r.json()["customFields"] == {"shoeSize": 41, "segment": "retail"}
        r = await api.patch(url, json={"city": "Oslo"})
        assert r.json()["customFields"] == {"shoeSize": 41, "segment": "retail"}
        r = await api.patch(url, json={"customFields": None})
        assert r.status_code == 200 and r.json()["customFields"] == {}

    async def test_put_replaces(self, api: httpx.AsyncClient, defined: None) -> None:
        url = "/clients/external-id/E-1"
        r = await api.put(url, json={"name": "A", "customFields": {"note": "a", "shoeSize": 1}})
        assert r.status_code == 201
        r = await api.put(url, json={"name": "A", "customFields": {"shoeSize": 2}})
        assert r.status_code == 200 and r.json()["customFields"] == {"shoeSize": 2}

    async def test_required(
        self, api: httpx.AsyncClient, defined: None, admin: dict[str, str]
    ) -> None:
        before = await make_client(api)
        r = await api.patch("/custom-fields/segment", json={"required": True}, headers=admin)
        assert r.status_code == 200 and r.json()["required"] is True
        r = await api.post("/clients", json=client_body())
        assert problems(r) == {"customFields.segment": "is required"}
        made = await make_client(api, segment="retail")
        url = f"/clients/{made['id']}"
        for change in ({"segment": None}, None):
            r = await api.patch(url, json={"customFields": change})
            assert problems(r) == {"customFields.segment": "is required"}
        r = await api.patch(url, json={"customFields": {"note": "x"}, "city": "Oslo"})
        assert r.status_code == 200
        # A client made before the field became required is not blocked on other changes.
        r = await api.patch(f"/clients/{before['id']}", json={"city": "Oslo"})
        assert r.status_code == 200
        r = await api.put("/clients/external-id/E-2", json={"name": "A"})
        assert problems(r) == {"customFields.segment": "is required"}
        await api.patch("/custom-fields/note", json={"required": True}, headers=admin)
        r = await api.post(
            "/clients", json=client_body(customFields={"segment": "retail", "note": ""})
        )
        assert list(problems(r)) == ["customFields.note"]


class TestDefinitionChanges:
    async def test_narrowing_options_refused_while_values_use_them(
        self, api: httpx.AsyncClient, defined: None, admin: dict[str, str]
    ) -> None:
        made = await make_client(api, segment="wholesale", colors=["red", "blue"])
        await api.delete(f"/clients/{made['id']}")  # soft-deleted values count too
        url = "/custom-fields/segment"
        r = await api.patch(url, json={"options": ["retail", "b2b"]}, headers=admin)
        assert r.status_code == 409 and "1 client holds a value" in r.json()["message"]
        r = await api.patch(url, json={"options": ["retail", "wholesale", "b2b"]}, headers=admin)
        assert r.status_code == 200 and r.json()["options"] == ["retail", "wholesale", "b2b"]
        r = await api.patch("/custom-fields/colors", json={"options": ["red"]}, headers=admin)
        assert r.status_code == 409
        r = await api.patch(
            "/custom-fields/colors", json={"options": ["blue", "red"]}, headers=admin
        )
        assert r.status_code == 200
        await api.post(f"/clients/{made['id']}/restore")
        await api.patch(f"/clients/{made['id']}", json={"customFields": {"segment": "retail"}})
        r = await api.patch(url, json={"options": ["retail"]}, headers=admin)
        assert r.status_code == 200

    async def test_type_change(self, api: httpx.AsyncClient, admin: dict[str, str]) -> None:
        base = {d["key"]: d for d in DEFINITIONS}
        for n, (key, value, change, status) in enumerate(TYPE_CHANGES):
            definition = {**base[key], "key": f"{key}{n}"}
            r = await api.post("/custom-fields", json=definition, headers=admin)
            assert r.status_code == 201, r.text
            await make_client(api, **{definition["key"]: value})
            r = await api.patch(f"/custom-fields/{definition['key']}", json=change, headers=admin)
            assert r.status_code == status, (key, value, change, r.text)
            if status == 200:
                assert r.json()["type"] == change["type"]

    async def test_type_change_without_values(
        self, api: httpx.AsyncClient, defined: None, admin: dict[str, str]
    ) -> None:
        r = await api.patch("/custom-fields/segment", json={"type": "number"}, headers=admin)
        assert r.status_code == 200 and r.json()["options"] == []
        r = await api.patch("/custom-fields/note", json={"type": "singlechoice"}, headers=admin)
        assert problems(r).keys() == {"options"}

    async def test_delete_refused_while_values_exist(
        self, api: httpx.AsyncClient, defined: None, admin: dict[str, str]
    ) -> None:
        made = await make_client(api, shoeSize=40)
        r = await api.delete("/custom-fields/shoeSize", headers=admin)
        assert r.status_code == 409 and "1 client holds a value" in r.json()["message"]
        await api.patch(f"/clients/{made['id']}", json={"customFields": {"shoeSize": None}})
        r = await api.delete("/custom-fields/shoeSize", headers=admin)
        assert r.status_code == 200 and r.json()["key"] == "shoeSize"
        assert (await api.get("/custom-fields/shoeSize")).status_code == 404
        r = await api.post("/clients", json=client_body(customFields={"shoeSize": 1}))
        assert list(problems(r)) == ["customFields.shoeSize"]


class TestFilters:
    async def test_typed_filters_and_sorts(self, api: httpx.AsyncClient, defined: None) -> None:
        a = await make_client(api, shoeSize=38, since="2023-12-31", segment="retail", note="x")
        b = await make_client(api, shoeSize=40, since="2024-01-01", colors=["red", "blue"])
        c = await make_client(api, shoeSize=100.5, segment="wholesale", colors=["green"])
        d = await make_client(api)

        async def ids(**params: str) -> list[str]:
            r = await api.get("/clients", params=params)
            assert r.status_code == 200, r.text
            return [x["id"] for x in r.json()["data"]]

        # 100.5 >= 40 as numbers, though "100.5" < "40" as text.
        assert set(await ids(**{"customFields.shoeSize[gte]": "40"})) == {b["id"], c["id"]}
        assert await ids(**{"customFields.shoeSize": "40"}) == [b["id"]]
        assert await ids(**{"customFields.shoeSize[between]": "39,41"}) == [b["id"]]
        assert await ids(**{"customFields.shoeSize[lt]": "39.5"}) == [a["id"]]
        assert await ids(sort="customFields.shoeSize") == [a["id"], b["id"], c["id"], d["id"]]
        assert await ids(sort="-customFields.shoeSize") == [d["id"], c["id"], b["id"], a["id"]]
        assert await ids(**{"customFields.since[gte]": "2024-01-01"}) == [b["id"]]
        assert await ids(**{"customFields.since[lt]": "2024-01-01"}) == [a["id"]]
        assert await ids(**{"customFields.segment": "retail"}) == [a["id"]]
        assert set(await ids(**{"customFields.segment": "retail,wholesale"})) == {a["id"], c["id"]}
        assert set(await ids(**{"customFields.colors": "blue,green"})) == {b["id"], c["id"]}
        assert await ids(**{"customFields.note": "x"}) == [a["id"]]

    async def test_cursor_over_a_custom_sort(self, api: httpx.AsyncClient, defined: None) -> None:
        made = [await make_client(api, shoeSize=size) for size in (44, 9, 100, 9, 40)]
        seen: list[str] = []
        params = {"sort": "customFields.shoeSize", "limit": "2"}
        while True:
            page = (await api.get("/clients", params=params)).json()
            seen += [x["id"] for x in page["data"]]
            if not page["meta"]["nextCursor"]:
                break
            params["cursor"] = page["meta"]["nextCursor"]
        assert sorted(seen) == sorted(m["id"] for m in made) and len(seen) == 5
        sizes = [next(m for m in made if m["id"] == i)["customFields"]["shoeSize"] for i in seen]
        assert sizes == [9, 9, 40, 44, 100]

    @pytest.mark.parametrize(
        "params",
        [
            {"customFields.nope": "1"},
            {"customFields.shoeSize[gte]": "big"},
            {"customFields.since[gte]": "31/12/2024"},
            {"customFields.segment[gte]": "a"},
            {"sort": "customFields.colors"},
        ],
    )
    async def test_bad_filters(
        self, api: httpx.AsyncClient, defined: None, params: dict[str, str]
    ) -> None:
        assert (await api.get("/clients", params=params)).status_code == 400

    async def test_same_key_of_another_type_in_another_organization(
        self, api: httpx.AsyncClient, defined: None, other_tenant: Tenant
    ) -> None:
        theirs = other_tenant.headers("admin")
        await api.post("/custom-fields", json={"key": "shoeSize", "type": "text"}, headers=theirs)
        await api.post(
            "/clients", json=client_body(customFields={"shoeSize": "big"}), headers=theirs
        )
        mine = await make_client(api, shoeSize=41)
        r = await api.get("/clients", params={"customFields.shoeSize[gte]": "40"})
        assert r.status_code == 200 and [x["id"] for x in r.json()["data"]] == [mine["id"]]


class TestTenancy:
    async def test_other_organization_gets_404(
        self, api: httpx.AsyncClient, defined: None, other_tenant: Tenant
    ) -> None:
        foreign = other_tenant.headers("admin")
        url = "/custom-fields/shoeSize"
        assert (await api.get(url, headers=foreign)).status_code == 404
        assert (await api.patch(url, json={"label": "X"}, headers=foreign)).status_code == 404
        assert (await api.delete(url, headers=foreign)).status_code == 404
        assert (await api.get("/custom-fields", headers=foreign)).json()["data"] == []
        assert (await api.get(url)).json()["label"] == "Shoe size"
