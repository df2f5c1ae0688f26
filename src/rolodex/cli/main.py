"""`rolodex`: serve, migrate, organizations, keys, demo data, CSV import and export."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Annotated, Any
from uuid import UUID

import typer

from rolodex import logs
from rolodex.cli import demo as demo_data
from rolodex.cli import transfer
from rolodex.cli.common import DatabaseUrl, JsonFlag, print_json, run, settings_for, transaction
from rolodex.core import migrate
from rolodex.core.db import create_engine, session_factory
from rolodex.core.keys import service as keys_service
from rolodex.core.orgs import service as orgs_service
from rolodex.core.webhooks.worker import Worker
from rolodex.settings import Settings

app = typer.Typer(help="Rolodex: client master data over HTTP.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(key_app, name="key")
app.add_typer(db_app, name="db")
app.add_typer(transfer.import_app, name="import")
app.add_typer(transfer.export_app, name="export")


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration."""
    migrate.upgrade(settings_for(database_url).database_url)
    typer.echo("database is up to date")


@app.command()
def serve(
    database_url: DatabaseUrl = None,
    host: Annotated[str | None, typer.Option(help="default 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default 8000")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes, default 1")] = None,
) -> None:
    """Migrate if needed, then serve the API."""
    import uvicorn

    from rolodex.cli import workers as balanced

    settings = settings_for(database_url)
    migrate.upgrade(settings.database_url)
    os.environ["ROLODEX_DATABASE_URL"] = settings.database_url
    options: dict[str, Any] = {
        "app": "rolodex.api.app:create_app",
        "factory": True,
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": settings.log_level,
        "access_log": False,
        "proxy_headers": False,
    }
    count = workers or settings.workers
    if count > 1 and balanced.SUPPORTED:  # each worker on its own socket (cli/workers.py)
        raise typer.Exit(balanced.serve(options, count))
    uvicorn.run(**options, workers=count)


@app.command()
def worker(
    database_url: DatabaseUrl = None,
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
) -> None:
    """Deliver webhooks (and apply the event retention, keep the planner's statistics) until
    stopped, beside `serve`."""
    settings = settings_for(database_url)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logs.install()
    attempts = asyncio.run(_work(settings, once))
    if once:
        typer.echo(f"attempted={attempts}")


async def _work(settings: Settings, once: bool) -> int:
    engine = create_engine(settings)
    try:
        async with Worker(session_factory(engine), settings) as delivery_worker:
            if once:
                return await delivery_worker.run_once()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await delivery_worker.run_forever(stop)
            return 0
    finally:
        await engine.dispose()


@org_app.command("create")
def org_create(name: str, database_url: DatabaseUrl = None, json: JsonFlag = False) -> None:
    """Create an organization and print its id."""

    async def work() -> dict[str, object]:
        async with transaction(settings_for(database_url)) as session:
            org = await orgs_service.create(session, name=name)
            return {"id": str(org.id), "name": org.name, "number": org.number}

    result = run(work)
    print_json(result) if json else typer.echo(result["id"])


@key_app.command("create")
def key_create(
    org: Annotated[UUID, typer.Option("--org", help="the organization's id")],
    scope: Annotated[str, typer.Option(help="read, write or admin")] = "write",
    name: Annotated[str | None, typer.Option(help="a label for the key")] = None,
    database_url: DatabaseUrl = None,
    json: JsonFlag = False,
) -> None:
    """Create an API key; the secret is printed once."""

    async def work() -> dict[str, object]:
        async with transaction(settings_for(database_url)) as session:
            made = await keys_service.create(session, organization_id=org, scope=scope, name=name)
            return {
                "id": str(made.key.id),
                "key": made.secret,
                "scope": made.key.scope,
                "organization": str(made.organization.id),
            }

    result = run(work)
    print_json(result) if json else typer.echo(result["key"])


@key_app.command("revoke")
def key_revoke(key_id: UUID, database_url: DatabaseUrl = None) -> None:
    """Revoke an API key; it stops working at once."""

    async def work() -> None:
        async with transaction(settings_for(database_url)) as session:
            await keys_service.revoke(session, key_id)

    run(work)
    typer.echo(f"revoked {key_id}")


@app.command()
def demo(
    clients: Annotated[int, typer.Option("--clients", help="how many clients", min=0)] = 300,
    database_url: DatabaseUrl = None,
) -> None:
    """Create (or reuse) the demo organization with sample clients; print an admin key."""
    settings = settings_for(database_url)
    migrate.upgrade(settings.database_url)
    key = run(lambda: demo_data.ensure_demo(settings, clients))
    typer.echo(key)


def main() -> None:
    app()
