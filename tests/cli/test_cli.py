"""The CLI of DESIGN section 2, with its --json output, on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from rolodex.cli.main import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_org_and_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    _run("db", "upgrade", "--database-url", url)
    org = json.loads(_run("org", "create", "Acme", "--json", "--database-url", url))
    assert set(org) == {"id", "name", "number"} and org["name"] == "Acme" and org["number"] == 1
    key = json.loads(
        _run(
            "key", "create", "--org", org["id"], "--scope", "admin", "--json", "--database-url", url
        )
    )
    assert set(key) == {"id", "key", "scope", "organization"}
    assert key["key"].startswith("rdx_") and key["scope"] == "admin"
    assert key["organization"] == org["id"]
    plain = _run("key", "create", "--org", org["id"], "--database-url", url).strip()
    assert plain.startswith("rdx_") and len(plain) > 40
    assert "revoked" in _run("key", "revoke", key["id"], "--database-url", url)


def test_errors_exit_nonzero(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    _run("db", "upgrade", "--database-url", url)
    result = runner.invoke(
        app,
        ["key", "create", "--org", "00000000-0000-0000-0000-000000000000", "--database-url", url],
    )
    assert result.exit_code == 1 and "not found" in result.output
    result = runner.invoke(
        app,
        [
            "key",
            "create",
            "--org",
            "00000000-0000-0000-0000-000000000000",
            "--scope",
            "root",
            "--database-url",
            url,
        ],
    )
    assert result.exit_code != 0


def test_demo_is_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = _run("demo", "--clients", "20", "--database-url", url).strip()
    second = _run("demo", "--clients", "20", "--database-url", url).strip()
    assert first == second and first.startswith("rdx_")


def test_demo_records_events_for_every_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "demo.db"
    _run("demo", "--clients", "5", "--database-url", f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        counts = dict(db.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall())
        contacts = db.execute("SELECT count(*) FROM contact_persons").fetchone()[0]
        unnumbered = db.execute(
            "SELECT count(*) FROM events WHERE sequence IS NULL OR actor_key_id IS NOT NULL"
        ).fetchone()[0]
    assert counts == {"client.created": 5, "contact_person.created": contacts, "address.created": 5}
    assert contacts >= 5 and unnumbered == 0


def test_demo_data_is_valid_at_any_size() -> None:
    """`rolodex demo --clients 700` once failed: a first name ending in a dot ("Hans J.") made
    an email with two dots in a row. Every sample client is validated as it is made."""
    from rolodex.cli.demo import sample_clients

    clients = sample_clients(3000)
    emails = [p.email for c in clients for p in c.contact_persons or []]
    assert len(clients) == 3000 and all(e and ".." not in e for e in emails)


async def test_demo_on_each_backend(
    database_url: str, engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a create takes its numbers on a connection of its own: the demo once made
    its organization and clients in one transaction, and the first client's numbers failed on
    the organization's foreign key there."""
    monkeypatch.chdir(tmp_path)
    key = await asyncio.to_thread(_run, "demo", "--clients", "3", "--database-url", database_url)
    async with engine.connect() as conn:
        numbers = (await conn.execute(text("SELECT number FROM clients ORDER BY number"))).all()
    assert key.strip().startswith("rdx_") and [n for (n,) in numbers] == [1, 2, 3]
