"""The fast lane: the hottest routes answered beside FastAPI's routing and dependencies.

Reading one client and a page of clients are the requests integrations send most, and creating
a client the write they send most. Through the framework each pays for routing among a few
hundred routes, dependency resolution (a yield dependency's exit stack and cancel scope),
request and response objects and several `send` wrappers: more than the database's part of a
GET, a fifth of a create's Python. The lane takes such a request (its method, on a path its
route matches) only when the API key is one this process's principal cache holds
(ROLODEX_KEY_CACHE_SECONDS) with the route's scope. It then counts the request against the
key's rate limit and runs the route's own answer function (see `fast_lanes` in
api/routes/clients.py: the route and the lane call the same function with the same request), so
both answer alike by construction.

Whatever a reading lane cannot answer with a success passes through untouched to the route,
which answers it as always: a key not seen lately, a missing scope, a malformed id, an unknown
or deleted client, a bad parameter, a database error. A writing lane (POST) passes on only what
it has not started to write: a request with an Idempotency-Key (the idempotency middleware,
inside the lane, keeps those), a body that is not JSON or not valid, which the route refuses
with its 400. Once it writes, it answers every outcome itself, errors through the app's own
exception handlers (`errors.handled`), and never passes the request on: the route would write
it again. The lane's own answer is the rate limit's 429, rendered as the error handler renders
it. It sits inside the request-id, security-header, input-guard and metrics middleware (which
counts its requests under the route's template).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from rolodex.api import errors
from rolodex.api.deps import RATE_LIMIT_COUNTED
from rolodex.api.middleware import is_json, read_body, replay
from rolodex.api.ratelimit import RateLimit
from rolodex.core.errors import RateLimited
from rolodex.core.keys import service as keys_service
from rolodex.core.principal import Principal
from rolodex.core.principal import Scope as KeyScope

log = logging.getLogger("rolodex.api")

# (request, principal, response for headers, path parameters as text) -> the answer, or None
# when the route should answer the request instead. A reading lane's answer may also raise for
# anything but a success; a writing lane's answers its own errors (see the module doc).
Answer = Callable[[Request, Principal, Response, dict[str, str]], Awaitable[Response | None]]


@dataclass(frozen=True)
class Lane:
    """A route the lane may answer (GET, or POST with a JSON body), and the function that
    answers it."""

    route: APIRoute
    answer: Answer
    scope: KeyScope = KeyScope.READ
    method: str = "GET"


class FastLane:
    """Answers the requests of `lanes` whose key is in the principal cache; passes every other
    request, and those it cannot answer (see the module doc), to `app`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        base_path: str,
        lanes: Sequence[Lane],
        rate_limit: RateLimit,
        cache_seconds: float,
    ) -> None:
        self.app = app
        self.rate_limit = rate_limit
        self.base_path = base_path
        # With the principal cache off, no key is ever known here: the lane stays out.
        self.lanes = [(_path(base_path, lane.route), lane) for lane in lanes if cache_seconds > 0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.lanes:
            path: str = scope["path"]
            method: str = scope["method"]
            if path.startswith(self.base_path):
                for pattern, lane in self.lanes:
                    match = pattern.fullmatch(path) if lane.method == method else None
                    if match is not None:
                        passed = await self._answer(scope, receive, send, lane, match.groupdict())
                        if passed is None:
                            return
                        receive = passed
                        break
        await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, lane: Lane, params: dict[str, str]
    ) -> Receive | None:
        """Answer the request (None); or, when the route should answer it instead, nothing sent,
        the `receive` to pass it on with (the body once more, when the lane has read it)."""
        principal = keys_service.cached(_bearer(scope))
        if principal is None or not principal.allows(lane.scope):
            return receive
        writes = lane.method != "GET"
        if writes:
            if not is_json(scope) or _has_header(scope, b"idempotency-key"):
                return receive
            body, _ = await read_body(receive)
            # Each reader gets the body from the start: the lane's answer, or else the route.
            receive, passed = replay(body, receive), replay(body, receive)
        else:
            passed = receive
        state = scope.setdefault("state", {})
        try:
            limits = await self.rate_limit.hit(str(principal.key_id))
        except RateLimited as exc:
            scope["route"] = lane.route
            status, headers, refusal = errors.rendered(exc, str(state.get("request_id", "")))
            await Response(refusal, status, headers, "application/json")(scope, receive, send)
            return None
        # Counted once: if the route answers after all, it reuses these headers (deps.py).
        state[RATE_LIMIT_COUNTED] = limits
        # What FastAPI hands a route for its headers (and a status of its own, none yet).
        response = Response(headers=limits)
        del response.headers["content-length"]
        response.status_code = None  # type: ignore[assignment]
        try:
            answer = await lane.answer(Request(scope, receive), principal, response, params)
        except Exception as exc:
            if writes:  # it may have written: the route must not write it again
                raise
            # The route answers it as it should (404, 400, 503, ...).
            log.debug("the fast lane passes a request on: %s", type(exc).__name__)
            return passed
        if answer is None:
            return passed
        scope["route"] = lane.route
        await answer(scope, receive, send)
        return None


def _path(base_path: str, route: APIRoute) -> re.Pattern[str]:
    """The route's own path pattern under the base path."""
    return re.compile(re.escape(base_path) + route.path_regex.pattern.removeprefix("^"))


def _has_header(scope: Scope, name: bytes) -> bool:
    return any(key == name for key, _ in scope["headers"])


def _bearer(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""
