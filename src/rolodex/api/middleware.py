"""Pure ASGI middleware: request ids, body limits, content types, security headers, input guards."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote_to_bytes

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolodex.api.errors import error_body
from rolodex.core.errors import FieldIssue

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


def _new_request_id() -> str:
    """16 random hex digits. A request id tells requests apart in logs and is no secret:
    `random` (seeded from the OS in every worker process) makes one without the system call
    that `secrets` makes for each, about 1% of a GET's time in the worker."""
    return f"{random.getrandbits(64):016x}"  # noqa: S311 - not a secret


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
        rid = incoming if _SAFE_ID.match(incoming) else _new_request_id()
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


async def _reply(
    send: Any, rid: str, status: int, message: str, code: str, details: Iterable[FieldIssue] = ()
) -> None:
    await _send_json(send, status, error_body(status, message, code, details, rid))


async def _send_json(send: Any, status: int, content: dict[str, Any]) -> None:
    body = orjson.dumps(content)
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


# ---------------------------------------------------------------- hostile input

# `\u0000` or a UTF-16 surrogate escape: worth a closer look (a pair of surrogates is fine).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_BAD_TEXT = "NUL characters and unpaired surrogates are not allowed in text"


class _TooDeep(Exception):
    pass


def parse_json(body: bytes) -> Any:
    """The body parsed without recursion trouble; _TooDeep when a parser gives up on its depth.

    orjson first (fast, and it refuses past 1024 levels instead of crashing); the standard
    library for what orjson refuses but JSON allows (integers past 64 bits, lone surrogates).
    ValueError when the text is not JSON.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower():
            raise _TooDeep from None
    try:
        return json.loads(body)
    except RecursionError:
        raise _TooDeep from None


def deeper_than(value: Any, limit: int) -> bool:
    """True when arrays and objects nest more than `limit` levels (iteratively, containers only)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        nested = [child for child in children if isinstance(child, dict | list)]
        if nested:
            if depth >= limit:
                return True
            stack.extend((child, depth + 1) for child in nested if child)
    return False


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def bad_text_path(value: Any) -> str | None:
    """Where a parsed JSON value holds text no database can store; None when it holds none."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _bad_text(node):
                return path or "body"
        elif isinstance(node, dict):
            for key, item in node.items():
                child = f"{path}.{key}" if path else str(key)
                if _bad_text(key):
                    return child
                stack.append((item, child))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(node))
    return None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Input the guard refuses, for a front to answer in its own way.

    `where` is the part of the request; `name` the input as sent (a body field's path such as
    `references[0].name`, a query parameter's name, or `where` itself when nothing narrower can
    be named); `rule` what is wrong with it; `message` and `details` the native error DTO's.
    """

    where: Literal["body", "query", "path"]
    name: str
    rule: Literal["text", "depth"]
    message: str
    details: tuple[FieldIssue, ...] = field(default=())
    limit: int | None = None  # the depth limit, for "depth"


# (refusal, request id) -> the status and JSON body to answer with.
InputErrorRenderer = Callable[[Refusal, str], tuple[int, dict[str, Any]]]


def native_input_error(status: int = 400) -> InputErrorRenderer:
    """The native error DTO with `status` (400 natively; a dialect's own input-error status)."""

    def render(refusal: Refusal, rid: str) -> tuple[int, dict[str, Any]]:
        body = error_body(status, refusal.message, "VALIDATION_ERROR", refusal.details, rid)
        return status, body

    return render


class InputGuardMiddleware:
    """Refuses input that would otherwise reach a parser or the database badly.

    JSON bodies nested deeper than `max_json_depth` (a recursion bomb for any parser), and text
    with NUL characters or unpaired surrogates (PostgreSQL cannot store them) in JSON bodies,
    paths and query strings. It sits inside RequestContextMiddleware, which has already enforced
    the body size. Bodies without a suspicious escape or enough brackets pass after two cheap
    byte scans, without being parsed here. The answer is a 400 with the native DTO, or what
    `renderers` gives for the path's prefix (a dialect answers bad input its own way).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json_depth: int,
        renderers: Mapping[str, InputErrorRenderer] | None = None,
    ) -> None:
        self.app = app
        self.max_json_depth = max_json_depth
        self.renderers = dict(renderers or {})
        self.native = native_input_error()

    async def _refuse(self, scope: Scope, send: Send, refusal: Refusal) -> None:
        path: str = scope["path"]
        render = next((r for p, r in self.renderers.items() if path.startswith(p)), self.native)
        status, body = render(refusal, str(scope.get("state", {}).get("request_id", "")))
        await _send_json(send, status, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _bad_url_part(scope)
        if refusal is not None:
            await self._refuse(scope, send, refusal)
            return
        if scope["method"] not in _BODY_METHODS or not is_json(scope):
            await self.app(scope, receive, send)
            return
        body, disconnected = await read_body(receive)
        if disconnected:
            return  # nobody is listening for an answer
        refusal = self._check_body(body)
        if refusal is not None:
            await self._refuse(scope, send, refusal)
            return
        await self.app(scope, replay(body, receive), send)

    def _check_body(self, body: bytes) -> Refusal | None:
        limit = self.max_json_depth
        # Most bodies cannot nest deeper than the limit nor hold a bad escape: two byte scans.
        bracketed = body.count(b"[") + body.count(b"{") > limit
        suspect = _SUSPECT_ESCAPE.search(body) is not None
        if not bracketed and not suspect:
            return None
        too_deep = Refusal(
            "body",
            "body",
            "depth",
            f"The JSON body is nested deeper than {limit} levels",
            (FieldIssue("body", f"nested deeper than {limit} levels"),),
            limit,
        )
        try:
            value = parse_json(body)
        except _TooDeep:
            return too_deep
        except ValueError:
            return None  # not JSON: the route answers its own 400
        if bracketed and deeper_than(value, limit):
            return too_deep
        path = bad_text_path(value) if suspect else None
        if path is None:
            return None
        return _text_refusal("body", path, path)


def _text_refusal(where: Literal["body", "query", "path"], name: str, field: str) -> Refusal:
    issue = FieldIssue(field, _BAD_TEXT)
    return Refusal(where, name, "text", f"Invalid input: {field}: {_BAD_TEXT}", (issue,))


def _bad_url_part(scope: Scope) -> Refusal | None:
    if "\x00" in scope["path"]:
        return _text_refusal("path", "path", "path")
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query or unquote_to_bytes(query).find(b"\x00") >= 0:
        return _text_refusal("query", _nul_parameter(query), "query")
    return None


def _nul_parameter(query: bytes) -> str:
    """The name of the first query parameter whose value holds a NUL; "query" when its name
    does."""
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        raw_name = unquote_to_bytes(name.replace(b"+", b" "))
        if b"\x00" in raw_name:
            return "query"
        if b"\x00" in unquote_to_bytes(value.replace(b"+", b" ")):
            return raw_name.decode("utf-8", "replace")
    return "query"


def is_json(scope: Scope) -> bool:
    """A body the routes will parse as JSON (without a content type they do not)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            ctype: bytes = value.split(b";")[0].strip().lower()
            return ctype == b"application/json" or ctype.endswith(b"+json")
    return False


async def read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body; True when the client went away before sending all of it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body in one message, then whatever the server sends next (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
