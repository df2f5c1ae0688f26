"""The application factory: one FastAPI app serving the native API and every dialect."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from rolodex import logs
from rolodex.api import errors, openapi
from rolodex.api.fastlane import FastLane
from rolodex.api.idempotency import IdempotencyMiddleware
from rolodex.api.metrics import MetricsMiddleware, metrics_router
from rolodex.api.middleware import (
    InputErrorRenderer,
    InputGuardMiddleware,
    RequestContextMiddleware,
)
from rolodex.api.ratelimit import RateLimit
from rolodex.api.routes import clients as client_routes
from rolodex.core.clients.documents import DOCUMENTS
from rolodex.core.counts import COUNTS
from rolodex.core.db import create_engine, dispose, read_session_factory, session_factory
from rolodex.core.search_cache import SEARCHES
from rolodex.core.webhooks.worker import Worker
from rolodex.settings import Settings, get_settings

BASE_PATH = "/master-data/v1/client-management"

DESCRIPTION = """
Rolodex keeps an organization's clients (companies and persons), their contact persons,
addresses, custom fields and orders, for other systems to read and write over HTTP.

The native API follows the Syniotec client-management document under
`/master-data/v1/client-management`. The same data is also served in four vendor dialects
(Summit, customers & orders v1.0, TimeWave, Recras), each under its own tag.

Authenticate every call with `Authorization: Bearer rdx_...` (create keys with
`rolodex key create`). Every error answers the same DTO:
`{"status", "success": false, "message", "error", "details", "requestId"}`.
"""

log = logging.getLogger("rolodex")

_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None, *, engine: AsyncEngine | None = None) -> FastAPI:
    """Build the app; `engine` lets tests share one engine across apps."""
    settings = settings or get_settings()
    logs.install()
    owns_engine = engine is None
    engine = engine or create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What startup made (modules, the OpenAPI models, SQLAlchemy's mappers) lives as long
        # as the process: out of the collector's generations, a full collection no longer
        # walks it, which shortened the slowest GETs under load.
        gc.collect()
        gc.freeze()
        stop = asyncio.Event()
        task = None
        if settings.run_worker:
            # Each server process delivers webhooks too; SKIP LOCKED keeps them apart.
            worker = Worker(app.state.sessions, settings)
            task = asyncio.create_task(worker.run_forever(stop), name="rolodex-webhooks")
        yield
        if task is not None:
            stop.set()
            try:
                await asyncio.wait_for(task, settings.webhook_timeout_seconds + 5)
            except TimeoutError:  # a delivery hangs: its lease lets another worker retry it
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if owns_engine:
            await dispose(engine)

    app = FastAPI(
        title="Rolodex",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI looks for OpenTelemetry providers on every request unless told not to: 9% of
        # a GET's instructions in process, for nothing when none is set up. Rolodex counts its
        # requests itself (/metrics); ROLODEX_OTEL_ENABLED turns FastAPI's telemetry on.
        telemetry=None if settings.otel_enabled else _NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.read_sessions = read_session_factory(engine)
    app.state.rate_limit = RateLimit(settings)
    COUNTS.seconds = settings.count_cache_seconds
    DOCUMENTS.max_bytes = int(settings.document_cache_mb * 1024 * 1024)
    SEARCHES.max_entries = settings.search_cache_entries
    errors.install(app)
    openapi.install(app)
    app.include_router(service_router())
    app.include_router(metrics_router())
    for router in native_routers():
        app.include_router(router, prefix=BASE_PATH)
    for router in dialect_routers():
        app.include_router(router)
    # Innermost: it sees requests that passed the body and content-type checks.
    app.add_middleware(IdempotencyMiddleware, wait_seconds=settings.idempotency_wait_seconds)
    app.add_middleware(
        FastLane,
        base_path=BASE_PATH,
        lanes=client_routes.fast_lanes(),
        rate_limit=app.state.rate_limit,
        cache_seconds=settings.key_cache_seconds,
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(
        InputGuardMiddleware,
        max_json_depth=settings.max_json_depth,
        renderers=dialect_input_errors(),
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        raw_body_paths=(f"{BASE_PATH}/clients/import",),
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID"],
        )
    return app


def native_routers() -> list[APIRouter]:
    """Every router of the native API, mounted under BASE_PATH."""
    from rolodex.api.routes import ROUTERS

    return list(ROUTERS)


def dialect_routers() -> list[APIRouter]:
    """Every vendor dialect's router, mounted at its own prefix."""
    from rolodex.dialects import ROUTERS

    return list(ROUTERS)


def dialect_input_errors() -> dict[str, InputErrorRenderer]:
    """Path prefix -> how a dialect answers input the guard refuses, when not the native 400."""
    from rolodex.dialects import INPUT_ERRORS

    return dict(INPUT_ERRORS)


def service_router() -> APIRouter:
    router = APIRouter(tags=["service"])

    @router.get(
        "/healthz",
        summary="Liveness",
        response_model=dict[str, str],
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
    )
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness",
        response_model=dict[str, str],
        responses={
            200: {"content": {"application/json": {"example": {"status": "ok"}}}},
            **errors.error_docs(503),
        },
    )
    async def readyz(request: Request) -> Any:
        """The database answers."""
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    return router
