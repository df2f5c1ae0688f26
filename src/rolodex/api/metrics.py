"""Prometheus metrics: request counts and latencies by route template and status."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("rolodex_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "rolodex_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class MetricsMiddleware:
    """Counts every request under its route template (never the raw path: no id explosion)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # (method, route, status) -> its counter and histogram. `labels()` finds them again on
        # every call, under a lock, from freshly made label tuples: 4 µs a request against 1 µs.
        # As many entries as prometheus keeps itself.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            key = (scope["method"], route, status)
            children = self._children.get(key)
            if children is None:
                children = (
                    REQUESTS.labels(key[0], route, str(status)),
                    LATENCY.labels(key[0], route),
                )
                self._children[key] = children
            children[0].inc()
            children[1].observe(time.perf_counter() - started)


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["service"])

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"example": "rolodex_requests_total 1"}}}},
    )
    async def metrics() -> Response:
        """Request counts and latencies of this process, in the Prometheus text format."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
