"""The client routes write their JSON with orjson (api.http.json_response), skipping FastAPI's
response-model validation: the answers must be exactly what the response models would make."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant

from rolodex.core.clients import service as clients_service
from rolodex.core.clients.schemas import ClientRead
from rolodex.core.db import session_factory
from rolodex.core.events import service as events_service
from rolodex.core.principal import Principal, Scope

RICH: dict[str, Any] = {
    "name": "Nordic Builders AB",
    "longName": "Nordic Builders Aktiebolag",
    "kind": "PERSON",
    "firstName": "Anna",
    "lastName": "Berg",
    "companyName": "Nordic Builders",
    "externalId": "ERP-1",
    "customPriceId": "P-7",
    "creditLimit": 1234.5,
    "usedLimit": 0.1,
    "paymentTerms": 30,
    "paymentType": "EMAIL",
    "billingEmail": "invoices@nordic.example",
    "additionalInformation": "Ring twice",
    "frameContract": True,
    "selfInsurance": False,
    "website": "https://nordic.example",
    "phone": "+46 8 555 010 20",
    "email": "office@nordic.example",
    "point": {"lng": 18.0686, "lat": 59.3293},
    "street": "Storgatan",
    "streetAndNumber": "Storgatan 12",
    "postalCode": "111 22",
    "city": "Stockholm",
    "country": "SE",
    "partnerType": "CONSTRUCTION",
    "status": "PROSPECT",
    "tags": ["vip", "north"],
    "metadata": {"erp": "sap", "n": 1.25, "flag": True, "none": None, "count": 3},
    "externalIds": [{"system": "sap", "id": "4711"}],
    "references": [{"name": "Site A", "description": "the first"}],
    "archived": True,
    "contactPersons": [
        {"firstName": "Erik", "lastName": "Lund", "email": "erik@nordic.example", "isMain": True},
        {"name": "Reception", "phone": "+46 8 555 010 00", "tags": ["desk"]},
    ],
    "addresses": [
        {"label": "Site", "city": "Uppsala", "point": {"lng": 17.64, "lat": 59.86}},
        {"label": "Invoice", "street": "Box 12", "isInvoice": True},
    ],
}


async def _as_model_makes_it(engine: AsyncEngine, tenant: Tenant, client_id: str) -> Any:
    principal = Principal(UUID(tenant.id), tenant.number, Scope.READ)
    async with session_factory(engine)() as session:
        view = await clients_service.get_view(session, principal, UUID(client_id))
    return ClientRead.model_validate(view).model_dump(mode="json", by_alias=True)


async def test_one_client_as_the_model_makes_it(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    created = await api.post("/clients", json=RICH)
    assert created.status_code == 201, created.text
    client_id = created.json()["id"]
    expected = await _as_model_makes_it(engine, tenant, client_id)
    assert len(expected["contactPersons"]) == 2 and len(expected["addresses"]) == 2
    patched = await api.patch(f"/clients/{client_id}", json={"paymentTerms": 30})
    expected = await _as_model_makes_it(engine, tenant, client_id)
    fetched = await api.get(f"/clients/{client_id}")
    listed = await api.get("/clients", params={"include": "contactPersons,addresses"})
    assert fetched.json() == expected
    assert patched.json() == expected
    assert listed.json()["data"] == [expected]
    plain = {**expected, "contactPersons": None, "addresses": None}
    assert (await api.get("/clients")).json()["data"] == [plain]
    for answer in (created, patched, fetched, listed):
        assert answer.headers["content-type"] == "application/json"
    assert created.headers["etag"] == '"1"' and fetched.headers["etag"] == '"2"'


async def test_what_orjson_cannot_write_goes_the_pydantic_way(api: httpx.AsyncClient) -> None:
    huge = 2**70  # JSONB keeps it; orjson refuses integers beyond 64 bits
    created = await api.post("/clients", json={"name": "Big", "metadata": {"n": huge}})
    assert created.status_code == 201, created.text
    assert created.json()["metadata"] == {"n": huge}
    assert (await api.get(f"/clients/{created.json()['id']}")).json()["metadata"] == {"n": huge}
    assert (await api.get("/clients")).json()["data"][0]["metadata"] == {"n": huge}
    # ... and so does the change feed, whose rows are written as JSON text.
    events = (await api.get("/events", params={"after": "0"})).json()["data"]
    assert events[-1]["data"]["object"]["metadata"] == {"n": huge}


async def test_a_batch_written_by_copy_keeps_integers_beyond_64_bits(
    api: httpx.AsyncClient,
) -> None:
    # 60 creates: their rows and events go in by COPY (rows.COPY_FROM) on PostgreSQL.
    huge = 2**70
    operations = [
        {"op": "create", "data": {"name": f"Big {n}", "metadata": {"n": huge + n}}}
        for n in range(60)
    ]
    answer = await api.post("/clients/batch", json={"operations": operations})
    assert answer.status_code == 200, answer.text
    page = (await api.get("/clients", params={"limit": "100", "sort": "number"})).json()
    assert [c["metadata"]["n"] for c in page["data"]] == [huge + n for n in range(60)]
    events = (await api.get("/events", params={"after": "0", "limit": "100"})).json()["data"]
    assert [e["data"]["object"]["metadata"]["n"] for e in events] == [huge + n for n in range(60)]


async def test_created_events_carry_what_the_models_make(
    api: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    # Their objects are written by orjson too (events.service.snapshot_json): a create that is
    # one statement on PostgreSQL (no addresses) and one through the session.
    alone = await api.post("/clients", json={**RICH, "addresses": []})
    other = {"email": "two@nordic.example", "externalId": "ERP-2", "externalIds": []}
    through = await api.post("/clients", json={**RICH, **other})
    assert alone.status_code == through.status_code == 201, (alone.text, through.text)
    events = (await api.get("/events", params={"after": "0", "limit": "100"})).json()["data"]
    objects = {e["data"]["object"]["id"]: (e["type"], e["data"]["object"]) for e in events}
    for answer in (alone, through):
        client = answer.json()
        shown = (await api.get(f"/clients/{client['id']}")).json()
        del shown["contactPersons"], shown["addresses"]
        assert objects[client["id"]] == ("client.created", shown)
        for contact in client["contactPersons"]:
            path = f"/clients/{client['id']}/contact-persons/{contact['id']}"
            read = (await api.get(path)).json()  # through the response model
            assert objects[contact["id"]] == ("contact_person.created", read)
        # Byte for byte, in the model's order, as the model writes it.
        principal = Principal(UUID(tenant.id), tenant.number, Scope.READ)
        async with session_factory(engine)() as session:
            view = await clients_service.get_view(session, principal, UUID(client["id"]))
        exclude = clients_service.EMBEDDED
        expected = ClientRead.model_validate(view).model_dump_json(
            by_alias=True, exclude=set(exclude)
        )
        assert events_service.snapshot_json(ClientRead, view, exclude=exclude) == expected
