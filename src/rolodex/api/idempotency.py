"""Idempotency-Key on every POST, as pure ASGI middleware so that every route has it.

A POST carrying `Idempotency-Key` and a valid API key is run at most once per organization and
key: the key is claimed before the request runs, its answer (below 500) is stored, and a retry
with the same route and body gets the stored status, body and headers back with
`Idempotent-Replayed: true`. The same key with another route or body is a 409, as is a retry
while the first request still runs (after waiting a little for it). Requests without the header
are passed through untouched, and so are requests without a valid API key (the route answers
those). See core/idempotency/service.py for the storage rules.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolodex.api.deps import authenticate
from rolodex.api.errors import error_body, status_of
from rolodex.core.db import loads, session_scope
from rolodex.core.errors import Conflict, Invalid, RolodexError, Unauthorized
from rolodex.core.idempotency import service as idempotency_service
from rolodex.core.idempotency.service import Claimed, KeyInProgress, Stored
from rolodex.core.principal import Principal

log = logging.getLogger("rolodex.api")

HEADER = b"idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
# Headers of the first answer that a replay repeats.
KEPT_HEADERS = ("content-type", "etag", "location")
# Answers about the caller rather than the request: not stored, so a retry runs for real.
NOT_STORED = {401, 403, 429}
_VISIBLE = re.compile(r"^[\x20-\x7e]{1,255}$")


class IdempotencyMiddleware:
    """Runs each (organization, Idempotency-Key) POST once and replays its answer."""

    def __init__(self, app: ASGIApp, *, wait_seconds: float = 3.0) -> None:
        self.app = app
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        raw_key = dict(scope["headers"]).get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not _VISIBLE.match(key):
            problem = Invalid.field("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
            await _reply_error(scope, send, problem)
            return
        sessions: async_sessionmaker[AsyncSession] = scope["app"].state.sessions
        principal = await _principal(scope)
        if principal is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        try:
            outcome = await self._claim(sessions, principal, key, scope, body)
        except Conflict as exc:
            await _reply_error(scope, send, exc, retry_after=isinstance(exc, KeyInProgress))
            return
        if isinstance(outcome, Stored):
            await _replay(send, outcome)
            return
        await self._run(scope, receive, send, body, sessions, principal, key, outcome)

    async def _claim(
        self,
        sessions: async_sessionmaker[AsyncSession],
        principal: Principal,
        key: str,
        scope: Scope,
        body: bytes,
    ) -> Claimed | Stored:
        """Claim the key, waiting up to `wait_seconds` for a first request still running."""
        path = scope["path"] + (
            f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else ""
        )
        request_hash = _request_hash(scope["method"], path, body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        pause = 0.02
        while True:
            try:
                async with session_scope(sessions) as session:
                    return await idempotency_service.claim(
                        session,
                        principal,
                        key,
                        method=scope["method"],
                        path=path,
                        request_hash=request_hash,
                    )
            except KeyInProgress:
                if loop.time() + pause > deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.25)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        sessions: async_sessionmaker[AsyncSession],
        principal: Principal,
        key: str,
        claimed: Claimed,
    ) -> None:
        """Run the request with its buffered body; store the answer before sending it."""
        start: Message | None = None
        chunks: list[bytes] = []
        body_sent = False

        async def replay_receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await _quietly(_release(sessions, principal, key, claimed))
            raise
        if start is None:  # the app answered nothing (a client disconnect)
            await _quietly(_release(sessions, principal, key, claimed))
            return
        content = b"".join(chunks)
        status = int(start["status"])
        if status >= 500 or status in NOT_STORED:
            await _quietly(_release(sessions, principal, key, claimed))
        else:
            headers = _kept_headers(start.get("headers", []))
            await _quietly(
                _finish(sessions, principal, key, claimed, Stored(status, headers, content))
            )
        await send(start)
        await send({"type": "http.response.body", "body": content, "more_body": False})


async def _principal(scope: Scope) -> Principal | None:
    """The caller from `Authorization: Bearer`, or None (the route then answers 401)."""
    header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return await authenticate(scope["app"], token.strip())
    except Unauthorized:
        return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _request_hash(method: str, path: str, body: bytes) -> str:
    """The request's fingerprint; a JSON body counts by its content, not its key order."""
    try:
        # db.loads reads integers beyond 64 bits exactly (orjson would make floats of them, and
        # two such bodies could then hash alike); orjson then refuses to write them: raw body.
        canonical = orjson.dumps(loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except (ValueError, TypeError, RecursionError):  # not JSON, or not to be re-encoded
        canonical = body
    digest = hashlib.sha256(f"{method}\n{path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def _kept_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers = {}
    for name, value in raw:
        lowered = name.decode("latin-1").lower()
        if lowered in KEPT_HEADERS:
            headers[lowered] = value.decode("latin-1")
    return headers


async def _finish(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    key: str,
    claimed: Claimed,
    answer: Stored,
) -> None:
    async with session_scope(sessions) as session:
        await idempotency_service.finish(session, principal, key, claimed, answer)


async def _release(
    sessions: async_sessionmaker[AsyncSession], principal: Principal, key: str, claimed: Claimed
) -> None:
    async with session_scope(sessions) as session:
        await idempotency_service.release(session, principal, key, claimed)


async def _quietly(work: Any) -> None:
    """Bookkeeping after the request ran must not change its answer (a stale claim expires)."""
    try:
        await work
    except Exception:
        log.exception("could not record an Idempotency-Key outcome")


async def _replay(send: Send, stored: Stored) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers.items()
    ]
    headers += [(b"content-length", str(len(stored.body)).encode()), REPLAYED]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


async def _reply_error(
    scope: Scope, send: Send, error: RolodexError, *, retry_after: bool = False
) -> None:
    status = status_of(error)
    rid = str(scope.get("state", {}).get("request_id", ""))
    body = orjson.dumps(error_body(status, error.message, error.code, error.details, rid))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
