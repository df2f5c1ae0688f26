"""Schema-driven fuzzing: every operation of the app's own /openapi.json, with valid keys.

CI runs a small fixed budget (ROLODEX_FUZZ_EXAMPLES, default 15 per operation and backend) of
the examples and fuzzing phases; `make fuzz` runs 300 and adds schemathesis' coverage phase
(ROLODEX_FUZZ_COVERAGE=1: boundary and negative values for every field, a few hundred cases
per write operation), too slow for every CI run.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import pkgutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi import formats
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.conftest import Tenant

from rolodex.api.app import create_app
from rolodex.core.db import create_engine, dispose
from rolodex.core.models import Base
from rolodex.settings import Settings

# Hypothesis' and schemathesis' modules are assertion-rewritten (parsed) when first imported,
# as modules of pytest plugins, and many are imported inside functions, on first use. Schemathesis
# first uses some deep inside its recursive walk of the schema at collection, where CPython
# 3.11.7's AST constructor can fail with "recursion depth mismatch": runs of the suite did, on
# hypothesis' regex strategies once and, under pytest-xdist, on schemathesis' dictionary
# overlays. So the packages that generate cases are imported here, at the top (about 2 s).
EAGER = ("schemathesis.generation", "schemathesis.specs", "schemathesis.core")
EAGER += ("hypothesis.strategies", "hypothesis.internal")
for package in EAGER:
    for found in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
        with contextlib.suppress(ImportError):  # optional extras (attrs)
            importlib.import_module(found.name)
# Hypothesis describes each `.map(lambda ...)` by parsing the lambda's source file (ast.parse):
# schemathesis' string formats (a long module of them) were parsed that way deep in a worker's
# collection and failed a fresh clone's CI run with the same "recursion depth mismatch". They
# are built here instead, once (the function caches them, hypothesis the parsed file); a
# schemathesis without that function simply skips this.
build_formats = getattr(formats, "get_default_format_strategies", None)
if build_formats is not None:
    build_formats()

EXAMPLES = int(os.environ.get("ROLODEX_FUZZ_EXAMPLES", "15"))
COVERAGE = os.environ.get("ROLODEX_FUZZ_COVERAGE") == "1"
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

# The document is read once, at collection, from an app that never touches its database; each
# test then sends its cases to an app on the session's database (SQLite and PostgreSQL), so the
# operations of every router mounted on the app are fuzzed without a list here.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Settings(database_url="sqlite+aiosqlite:///:memory:")),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True},
            "phases": {
                "coverage": {"enabled": COVERAGE},
                "stateful": {"inference": {"algorithms": []}},
            },
        }
    ),
)


@pytest.fixture
def fuzz_app(settings: Settings, engine: AsyncEngine) -> Iterator[Any]:
    """An app with its own engine: schemathesis calls it from its own event loop thread."""
    app = create_app(settings)
    yield app
    asgi.shutdown_lifespans()


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case, fuzz_app: Any, tenant: Tenant) -> None:
    case.call_and_validate(app=fuzz_app, headers=tenant.headers("admin"), checks=CHECKS)


# ---------------------------------------------------------------- stateful

STEPS = int(os.environ.get("ROLODEX_FUZZ_STEPS", "6"))
SCENARIOS = min(EXAMPLES, 100)  # each one up to STEPS calls


# Kept between scenarios: the tenant and its keys (and number counters, which change nothing).
KEEP = {"organizations", "api_keys", "counters"}


def empty_tables(database_url: str) -> None:
    """Every record gone, so that each scenario starts from the same state (Hypothesis replays
    scenarios and insists that the same choices give the same steps)."""

    async def run() -> None:
        engine = create_engine(Settings(database_url=database_url))
        try:
            async with engine.begin() as conn:
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name not in KEEP:
                        await conn.execute(table.delete())
        finally:
            await dispose(engine)

    # Called from inside a test that pytest-asyncio may run in its loop: a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Chains of calls along the OpenAPI links (POST /clients -> /clients/{id}, ...)."""

    app: Any = None
    headers: dict[str, str] = {}
    database_url = ""

    def setup(self) -> None:
        empty_tables(self.database_url)

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"app": self.app, "headers": self.headers}

    def validate_response(  # type: ignore[override]
        self, response: Any, case: schemathesis.Case, **kwargs: Any
    ) -> None:
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)


def test_stateful(fuzz_app: Any, tenant: Tenant, settings: Settings) -> None:
    Workflow.app, Workflow.headers = fuzz_app, tenant.headers("admin")
    Workflow.database_url = settings.database_url
    Workflow.run(
        settings=hypothesis.settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
    )
