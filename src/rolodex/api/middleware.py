"""Pure ASGI middleware: request ids, body limits, content types, security headers."""

from __future__ import annotations

import re
import secrets
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolodex.api.errors import error_body

_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
_BODY_METHODS = {b"POST", b"PUT", b"PATCH", "POST", "PUT", "PATCH"}
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]
_DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")


class _TooLarge(Exception):
    pass


class RequestContextMiddleware:
    """Gives every request an id, enforces the body size and JSON content type."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, raw_body_paths: tuple[str, ...] = ()):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.raw_body_paths = raw_body_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SAFE_ID.match(incoming) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [rid_header, *_SECURITY_HEADERS]
                if scope["path"].startswith(_DOCS_PATHS):
                    extra = [rid_header, _SECURITY_HEADERS[0]]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        problem = self._check(scope, headers)
        if problem is not None:
            await _reply(send_with_headers, rid, *problem)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reply(send_with_headers, rid, *self._too_large())

    def _too_large(self) -> tuple[int, str, str]:
        return 413, f"The request body exceeds {self.max_body_bytes} bytes", "PAYLOAD_TOO_LARGE"

    def _check(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        length = headers.get(b"content-length")
        if length is not None:
            try:
                if int(length) > self.max_body_bytes:
                    return self._too_large()
            except ValueError:
                return 400, "Content-Length is not a number", "VALIDATION_ERROR"
        if scope["method"] not in _BODY_METHODS:
            return None
        has_body = (length is not None and length != b"0") or b"transfer-encoding" in headers
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if not has_body or not ctype:
            return None
        if ctype == b"application/json" or ctype.endswith(b"+json"):
            return None
        if scope["path"].startswith(self.raw_body_paths) and ctype in (b"text/csv", b"text/plain"):
            return None
        return 415, "Send the body as application/json", "UNSUPPORTED_MEDIA_TYPE"


async def _reply(send: Any, rid: str, status: int, message: str, code: str) -> None:
    body = orjson.dumps(error_body(status, message, code, (), rid))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
