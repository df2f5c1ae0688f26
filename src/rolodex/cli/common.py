"""What every command shares: the database option, running async code, JSON output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.db import create_engine, dispose, session_factory, session_scope
from rolodex.core.errors import RolodexError
from rolodex.settings import Settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="ROLODEX_DATABASE_URL",
        help="default sqlite+aiosqlite:///./rolodex.db",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON")]


def settings_for(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


@asynccontextmanager
async def transaction(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction against the configured database (commit on success)."""
    engine = create_engine(settings)
    try:
        async with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        await dispose(engine)


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run async work; a domain error is printed and exits 1."""
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except RolodexError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        for issue in exc.details:
            err_console.print(f"  {issue.field}: {issue.message}")
        raise typer.Exit(1) from None


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, default=str))
