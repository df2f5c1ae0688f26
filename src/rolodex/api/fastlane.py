"""The fast lane: the hottest read routes answered beside FastAPI's routing and dependencies.

Reading one client and a page of clients are the requests integrations send most. Through the
framework each pays for routing among a few hundred routes, dependency resolution, request and
response objects and several `send` wrappers: more than the database's part of a GET. The lane
takes such a request (`GET` on a path its route matches) only when the API key is one this
process's principal cache holds (ROLODEX_KEY_CACHE_SECONDS) with the route's scope. It then
counts the request against the key's rate limit and runs the route's own answer function (see
`fast_lanes` in api/routes/clients.py: the route and the lane call the same function with the
same request), so both answer alike by construction.

Whatever the lane cannot answer with a success passes through untouched to the route, which
answers it as always: a key not seen lately, a missing scope, a malformed id, an unknown or
deleted client, a bad parameter, a database error. The only answer of the lane's own is the rate
limit's 429, rendered as the error handler renders it. It sits inside the request-id,
security-header, input-guard and metrics middleware (which counts its requests under the
route's template), and before Idempotency-Key handling, which concerns POSTs only.
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
from rolodex.api.ratelimit import RateLimit
from rolodex.core.errors import RateLimited
from rolodex.core.keys import service as keys_service
from rolodex.core.principal import Principal
from rolodex.core.principal import Scope as KeyScope

log = logging.getLogger("rolodex.api")

# (request, principal, response for headers, path parameters as text) -> the answer; raises
# for anything but a success.
Answer = Callable[[Request, Principal, Response, dict[str, str]], Awaitable[Response]]


@dataclass(frozen=True)
class Lane:
    """A GET route the lane may answer, and the function that answers it."""

    route: APIRoute
    answer: Answer
    scope: KeyScope = KeyScope.READ


class FastLane:
    """Answers GETs for `lanes` from the principal cache; passes every other request, and every
    one of these it cannot answer with a success, to `app`."""

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
        if scope["type"] == "http" and scope["method"] == "GET" and self.lanes:
            path: str = scope["path"]
            if path.startswith(self.base_path):
                for pattern, lane in self.lanes:
                    match = pattern.fullmatch(path)
                    if match is not None:
                        if await self._answer(scope, receive, send, lane, match.groupdict()):
                            return
                        break
        await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, lane: Lane, params: dict[str, str]
    ) -> bool:
        """Answer the request; False (nothing sent) when the route should answer it instead."""
        principal = keys_service.cached(_bearer(scope))
        if principal is None or not principal.allows(lane.scope):
            return False
        state = scope.setdefault("state", {})
        try:
            limits = await self.rate_limit.hit(str(principal.key_id))
        except RateLimited as exc:
            scope["route"] = lane.route
            status, headers, body = errors.rendered(exc, str(state.get("request_id", "")))
            await Response(body, status, headers, "application/json")(scope, receive, send)
            return True
        # Counted once: if the route answers after all, it reuses these headers (deps.py).
        state[RATE_LIMIT_COUNTED] = limits
        response = Response(headers=limits)  # what FastAPI hands a route for its headers
        del response.headers["content-length"]
        try:
            answer = await lane.answer(Request(scope, receive), principal, response, params)
        except Exception as exc:  # the route answers it as it should (404, 400, 503, ...)
            log.debug("the fast lane passes a request on: %s", type(exc).__name__)
            return False
        scope["route"] = lane.route
        await answer(scope, receive, send)
        return True


def _path(base_path: str, route: APIRoute) -> re.Pattern[str]:
    """The route's own path pattern under the base path."""
    return re.compile(re.escape(base_path) + route.path_regex.pattern.removeprefix("^"))


def _bearer(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""
