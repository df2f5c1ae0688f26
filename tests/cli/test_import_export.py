"""`rolodex import clients` and `rolodex export clients`, on SQLite and PostgreSQL.

The CLI runs in a worker thread (it starts its own event loop) against the test database.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant, make_tenant
from tests.factories import client_body
from typer.testing import CliRunner

from rolodex.cli.main import app
from rolodex.settings import Settings

runner = CliRunner()
HEADER = (
    "name,email,externalId,tags,point.lat,point.lng,metadata.erp,metadata.count,externalIds.sap"
)


async def cli(settings: Settings, *args: str) -> Result:
    url = settings.database_url
    return await asyncio.to_thread(runner.invoke, app, [*args, "--database-url", url])


async def run_import(settings: Settings, tenant: Tenant, path: Path, *extra: str) -> dict[str, int]:
    result = await cli(
        settings, "import", "clients", str(path), "--org", tenant.id, "--json", *extra
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def write(path: Path, *lines: str, bom: bool = False) -> Path:
    text = "\n".join(lines) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


class TestImport:
    async def test_creates_and_reports_failures(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        source = write(
            tmp_path / "clients.csv",
            HEADER,
            "Acme,a@example.com,E1,vip;north,52.1,4.5,x,42,4711",
            "Bad,not-an-email,E2,,,,,,",
            ",noname@example.com,E3,,,,,,",
            '"Multi, Inc",m@example.com,E4,,,,"""7""",,',
            "Björk AB,b@example.com,E5,,91,0,,,",
            "Too,many@example.com,E6,,,,,,,extra",
            bom=True,
        )
        summary = await run_import(settings, tenant, source)
        assert summary == {"created": 2, "updated": 0, "unchanged": 0, "failed": 4}
        failed = read_csv((tmp_path / "clients.failed.csv").read_text())
        assert [row["_line"] for row in failed] == ["3", "4", "6", "7"]
        assert failed[0]["_error"] == "email: not a valid email address"
        assert failed[1]["_error"] == "name: Field required"
        assert failed[2]["name"] == "Björk AB" and "point.lat" in failed[2]["_error"]
        assert "more cells" in failed[3]["_error"]
        acme = (await api.get("/clients/external-id/E1")).json()
        assert acme["tags"] == ["vip", "north"] and acme["point"] == {"lat": 52.1, "lng": 4.5}
        assert acme["metadata"] == {"erp": "x", "count": 42}
        assert acme["externalIds"] == [{"system": "sap", "id": "4711"}]
        multi = (await api.get("/clients/external-id/E4")).json()
        assert multi["name"] == "Multi, Inc" and multi["metadata"] == {"erp": "7"}

    async def test_plain_summary_and_rerun_changes_nothing(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        source = write(
            tmp_path / "c.csv",
            HEADER,
            "Acme,a@example.com,E1,vip,52.1,4.5,x,42,4711",
            "Globex,g@example.com,E2,,,,,,",
        )
        args = ["import", "clients", str(source), "--org", tenant.id, "--upsert-by", "externalId"]
        result = await cli(settings, *args)
        assert result.exit_code == 0, result.output
        assert "created=2 updated=0 unchanged=0 failed=0" in result.stdout
        assert not (tmp_path / "c.failed.csv").exists()
        result = await cli(settings, *args)
        assert "created=0 updated=0 unchanged=2 failed=0" in result.stdout
        assert (await api.get("/clients/external-id/E1")).json()["version"] == 1
        write(
            source,
            HEADER,
            "Acme,a@example.com,E1,vip,52.1,4.5,y,42,4711",
            "Globex,g@example.com,E2,,,,,,",
        )
        assert (await run_import(settings, tenant, source, "--upsert-by", "externalId")) == {
            "created": 0,
            "updated": 1,
            "unchanged": 1,
            "failed": 0,
        }
        acme = (await api.get("/clients/external-id/E1")).json()
        assert acme["metadata"] == {"erp": "y", "count": 42} and acme["version"] == 2

    async def test_upsert_by_email_id_and_external_ids(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        made = (
            await api.post(
                "/clients",
                json=client_body(
                    email="Mixed@Example.com",
                    city="Oslo",
                    metadata={"a": 1, "b": 2},
                    externalIds=[{"system": "sap", "id": "1"}, {"system": "crm", "id": "c"}],
                ),
            )
        ).json()
        source = write(tmp_path / "e.csv", "name,email,city", "Renamed,mixed@example.com,")
        assert (await run_import(settings, tenant, source, "--upsert-by", "email"))["updated"] == 1
        body = (await api.get(f"/clients/{made['id']}")).json()
        assert (
            body["name"] == "Renamed"
            and body["city"] is None
            and body["metadata"] == {"a": 1, "b": 2}
        )
        # Dotted columns set or remove single keys; the others stay.
        source = write(
            tmp_path / "s.csv",
            "name,externalIds.sap,externalIds.shop,metadata.a,metadata.b",
            "By SAP,1,S-1,5,",
            "New one,2,,,",
        )
        summary = await run_import(settings, tenant, source, "--upsert-by", "externalIds.sap")
        assert summary == {"created": 1, "updated": 1, "unchanged": 0, "failed": 0}
        body = (await api.get(f"/clients/{made['id']}")).json()
        assert body["name"] == "By SAP" and body["metadata"] == {"a": 5}
        assert {(r["system"], r["id"]) for r in body["externalIds"]} == {
            ("sap", "1"),
            ("crm", "c"),
            ("shop", "S-1"),
        }
        assert (await api.get("/clients/external-ids/shop/S-1")).json()["id"] == made["id"]
        source = write(tmp_path / "i.csv", "id,name", f"{made['id']},By id", "not-a-uuid,X")
        summary = await run_import(settings, tenant, source, "--upsert-by", "id")
        assert summary == {"created": 0, "updated": 1, "unchanged": 0, "failed": 1}

    async def test_a_key_twice_in_one_chunk(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        source = write(
            tmp_path / "d.csv",
            "name,externalId",
            *(f"Client {i},E{i % 3}" for i in range(7)),
        )
        summary = await run_import(
            settings, tenant, source, "--upsert-by", "externalId", "--chunk-size", "4"
        )
        assert summary == {"created": 3, "updated": 4, "unchanged": 0, "failed": 0}
        assert (await api.get("/clients/external-id/E0")).json()["name"] == "Client 6"
        assert (await api.get("/clients")).json()["meta"]["total"] == 3

    async def test_chunks_in_flight_see_the_earlier_ones(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        # Chunks of two: a chunk is built while the one before it is written, and checked
        # only once that one is committed, so repeats across chunks fail as within one.
        source = write(
            tmp_path / "c.csv",
            "name,email,externalId,externalIds.sap",
            "A,a@example.com,E1,S1",
            "B,b@example.com,E2,S2",
            "C,A@example.com,E3,S3",
            "D,d@example.com,E1,S4",
            "E,e@example.com,E5,S2",
            "F,f@example.com,E6,S6",
            "G,not-an-email,E7,S7",
        )
        summary = await run_import(settings, tenant, source, "--chunk-size", "2")
        assert summary == {"created": 3, "updated": 0, "unchanged": 0, "failed": 4}
        failed = read_csv((tmp_path / "c.failed.csv").read_text())
        assert [(row["_line"], row["name"]) for row in failed] == [
            ("4", "C"),
            ("5", "D"),
            ("6", "E"),
            ("8", "G"),
        ]
        assert "email" in failed[0]["_error"].lower()
        assert "externalid" in failed[1]["_error"].lower()
        assert failed[2]["_error"] == "externalIds.sap: already taken"
        listed = (await api.get("/clients", params={"sort": "number"})).json()["data"]
        assert [(c["name"], c["number"]) for c in listed] == [("A", 1), ("B", 2), ("F", 3)]
        # One client.created per client, in the file's order, as the client reads.
        events = (await api.get("/events")).json()["data"]
        assert [e["type"] for e in events] == ["client.created"] * 3
        assert [e["data"]["object"]["name"] for e in events] == ["A", "B", "F"]
        assert [e["sequence"] for e in events] == [1, 2, 3]
        for event, client in zip(events, listed, strict=True):
            shown = (await api.get(f"/clients/{client['id']}")).json()
            del shown["contactPersons"], shown["addresses"]
            assert event["data"]["object"] == shown
            assert event["data"]["previousAttributes"] is None
            assert event["occurredAt"] == shown["updatedAt"]
        # A re-run changes nothing and records nothing; a changed row is one client.updated.
        write(source, "name,email,externalId", "A,a@example.com,E1", "B2,b@example.com,E2")
        summary = await run_import(settings, tenant, source, "--upsert-by", "externalId")
        assert summary == {"created": 0, "updated": 1, "unchanged": 1, "failed": 0}
        events = (await api.get("/events", params={"after": 3})).json()["data"]
        assert [(e["type"], e["data"]["previousAttributes"]) for e in events] == [
            ("client.updated", {"name": "B"})
        ]

    async def test_dry_run_changes_nothing(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        source = write(tmp_path / "c.csv", "name,email", "A,a@example.com", "B,a@example.com", "C,")
        summary = await run_import(settings, tenant, source, "--dry-run")
        assert summary == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
        summary = await run_import(settings, tenant, source, "--dry-run", "--chunk-size", "1")
        assert summary == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}, (
            "a dry run's chunks are rolled back: the next one does not see their rows"
        )
        assert (await api.get("/clients")).json()["meta"]["total"] == 0
        assert (await api.get("/events")).json()["data"] == []
        assert (await run_import(settings, tenant, source))["created"] == 2
        numbers = [
            c["number"]
            for c in (await api.get("/clients", params={"sort": "number"})).json()["data"]
        ]
        assert numbers == [1, 2]  # the dry run used no numbers up

    async def test_bad_header_stops_before_any_row(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        source = write(tmp_path / "c.csv", "name,colour,_note", "A,red,x")
        result = await cli(settings, "import", "clients", str(source), "--org", tenant.id)
        assert result.exit_code == 1 and "colour: unknown column" in result.output
        source = write(tmp_path / "c.csv", "name,_note", "A,x")
        result = await cli(
            settings, "import", "clients", str(source), "--org", tenant.id, "--upsert-by", "email"
        )
        assert result.exit_code == 1 and "no email column" in result.output
        assert (await api.get("/clients")).json()["meta"]["total"] == 0
        result = await cli(
            settings,
            "import",
            "clients",
            str(source),
            "--org",
            "0192f0c4-0000-7000-8000-000000000000",
        )
        assert result.exit_code == 1 and "not found" in result.output


class TestRoundTrip:
    async def test_export_reimported_gives_the_same_clients(
        self,
        settings: Settings,
        tenant: Tenant,
        api: httpx.AsyncClient,
        engine: AsyncEngine,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from rolodex.core import rows

        monkeypatch.setattr(rows, "COPY_FROM", 1)  # on PostgreSQL: the COPY path keeps every type
        bodies: list[dict[str, Any]] = [
            client_body(
                name="Acme, Inc",
                longName="Acme\nIncorporated",
                kind="COMPANY",
                externalId="E-1",
                creditLimit=1234.5,
                usedLimit=0,
                paymentTerms=30,
                paymentType="EMAIL",
                billingEmail="bill@example.com",
                frameContract=True,
                selfInsurance=False,
                website="https://acme.example.com",
                phone="+46 8 555 010 20",
                country="SE",
                point={"lat": 59.3293, "lng": 18.0686},
                partnerType="INDUSTRY",
                creditworthiness="GOOD",
                status="PROSPECT",
                tags=["vip", "north"],
                metadata={
                    "text": "x",
                    "number": 42,
                    "numeric_text": "42",
                    "flag": False,
                    "none": None,
                    "spaced": " a ",
                    "empty": "",
                    "quote": '"q"',
                },
                externalIds=[{"system": "sap", "id": "4711"}, {"system": "shop", "id": "S/1"}],
                references=[{"name": "PO", "description": "order 1"}, {"id": 7, "name": "X"}],
                archived=True,
                structureId="0192f0c4-0000-7000-8000-00000000abcd",
            ),
            client_body(name="Person", kind="PERSON", firstName="Ada", lastName="Lovelace"),
            client_body(name="Ünïcödé ✓", additionalInformation='semi;colon, "quotes"'),
        ]
        for body in bodies:
            r = await api.post("/clients", json=body)
            assert r.status_code == 201, r.text
        first = tmp_path / "first.csv"
        result = await cli(settings, "export", "clients", "--org", tenant.id, "-o", str(first))
        assert result.exit_code == 0, result.output
        other = await make_tenant(engine, "Empty")
        assert (await run_import(settings, other, first))["created"] == 3
        second = await cli(settings, "export", "clients", "--org", other.id)
        assert second.exit_code == 0, second.output

        def comparable(text: str) -> list[dict[str, str]]:
            skip = {"id", "number", "createdAt", "updatedAt"}
            return [{k: v for k, v in row.items() if k not in skip} for row in read_csv(text)]

        exported = comparable(first.read_text(encoding="utf-8"))
        reexported = comparable(second.stdout)
        assert len(exported) == len(reexported) == 3
        for before, after in zip(exported, reexported, strict=True):
            differences = {
                k: (before.get(k), after.get(k))
                for k in before.keys() | after.keys()
                if before.get(k) != after.get(k)
            }
            assert differences == {}
        mine = (await api.get("/clients", params={"sort": "number"})).json()["data"]
        theirs = (
            await api.get("/clients", params={"sort": "number"}, headers=other.headers("read"))
        ).json()["data"]
        volatile = {"id", "number", "organization", "createdAt", "updatedAt", "archivedAt"}
        assert [{k: v for k, v in c.items() if k not in volatile} for c in theirs] == [
            {k: v for k, v in c.items() if k not in volatile} for c in mine
        ]
        # And importing the same file again with a key changes nothing.
        again = await run_import(settings, other, first, "--upsert-by", "externalIds.sap")
        assert again["unchanged"] == 1 and again["updated"] == 0

    async def test_export_filters(
        self, settings: Settings, tenant: Tenant, api: httpx.AsyncClient
    ) -> None:
        for status in ("ACTIVE", "PROSPECT", "ACTIVE"):
            await api.post("/clients", json=client_body(status=status))
        result = await cli(
            settings, "export", "clients", "--org", tenant.id, "--filter", "status=ACTIVE"
        )
        assert result.exit_code == 0, result.output
        assert [row["status"] for row in read_csv(result.stdout)] == ["ACTIVE", "ACTIVE"]
        result = await cli(settings, "export", "clients", "--org", tenant.id, "--filter", "x=1")
        assert result.exit_code == 1 and "unknown parameter" in result.output
