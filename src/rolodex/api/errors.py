"""The one mapping from domain errors to HTTP, rendering the contract's error DTO."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolodex.core import errors as core
from rolodex.core.errors import FieldIssue, RolodexError

log = logging.getLogger("rolodex.api")

STATUS: dict[type[RolodexError], int] = {
    core.Invalid: 400,
    core.Unauthorized: 401,
    core.Forbidden: 403,
    core.NotFound: 404,
    core.Conflict: 409,
    core.PreconditionFailed: 412,
    core.PayloadTooLarge: 413,
    core.UnsupportedMediaType: 415,
    core.RateLimited: 429,
    core.ServiceUnavailable: 503,
    core.MovedPermanently: 308,
}
HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


class Rendered(Exception):
    """An error a front has already rendered its own way (a dialect's status or shape).

    Raised rather than returned, so that the request's transaction is rolled back as for any
    other error; the handler installed below answers `response` as it is.
    """

    def __init__(self, response: Response) -> None:
        super().__init__(f"rendered {response.status_code}")
        self.response = response


class ErrorDetail(BaseModel):
    field: str = Field(description="The input that failed, as a path", examples=["email"])
    message: str = Field(examples=["not a valid email address"])


class ErrorResponse(BaseModel):
    """The error DTO every failure answers with."""

    status: int = Field(examples=[404])
    success: bool = Field(default=False, examples=[False])
    message: str = Field(examples=["Client 0192f0c4-... not found"])
    error: str = Field(examples=["NOT_FOUND"])
    details: list[ErrorDetail] = Field(default_factory=list)
    requestId: str = Field(default="", examples=["6f1c2a9e4b7d4e0f"])


def status_of(error: RolodexError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def error_body(
    status: int, message: str, code: str, details: Iterable[FieldIssue] = (), rid: str = ""
) -> dict[str, Any]:
    return {
        "status": status,
        "success": False,
        "message": message,
        "error": code,
        "details": [{"field": d.field, "message": d.message} for d in details],
        "requestId": rid,
    }


def rendered(exc: RolodexError, rid: str) -> tuple[int, dict[str, str], bytes]:
    """A domain error as its status, extra headers and JSON error DTO."""
    headers: dict[str, str] = {}
    if isinstance(exc, core.RateLimited):
        headers = {**exc.headers, "Retry-After": str(exc.retry_after)}
    if isinstance(exc, core.MovedPermanently):
        headers = {"Location": exc.location}
    status = status_of(exc)
    body = error_body(status, exc.message, exc.code, exc.details, rid)
    return status, headers, orjson.dumps(body)


def error_response(
    request: Request,
    status: int,
    message: str,
    code: str | None = None,
    details: Iterable[FieldIssue] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    body = error_body(
        status, message, code or HTTP_CODES.get(status, "ERROR"), details, request_id(request)
    )
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


def field_path(loc: Sequence[int | str]) -> str:
    """('body', 'contactPersons', 1, 'email') -> 'contactPersons[1].email'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before", "function-plain", "function-wrap"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def validation_issues(errors: Sequence[dict[str, Any]]) -> list[FieldIssue]:
    issues = []
    for err in errors:
        kind = err.get("type", "")
        if kind == "json_invalid":
            return [
                FieldIssue("body", "malformed JSON: " + str(err.get("ctx", {}).get("error", "")))
            ]
        message = str(err.get("msg", "invalid"))
        if kind == "extra_forbidden":
            message = "unknown field"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        issues.append(FieldIssue(field_path(err.get("loc", ())), message))
    return issues


def summarize(issues: Sequence[FieldIssue]) -> str:
    if not issues:
        return "Invalid input"
    head = "; ".join(f"{i.field}: {i.message}" for i in issues[:3])
    more = f" (and {len(issues) - 3} more)" if len(issues) > 3 else ""
    return f"Invalid input: {head}{more}"


def is_database_down(exc: BaseException) -> bool:
    """Lost or refused connections, a database starting or stopping, pool exhaustion, statement
    and lock timeouts, deadlocks and serialization failures: retryable 503s."""
    if isinstance(exc, PoolTimeout | InterfaceError | OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    for cause in _chain(exc):
        if isinstance(cause, OSError | TimeoutError):
            return True
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(state, str) and state.startswith(_RETRYABLE_STATES):
            return True
        if type(cause).__name__ in _RETRYABLE:
            return True
    return False


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, the driver's error it wraps and what that was raised from."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found and len(found) < 8:
        found.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return found


# SQLSTATE classes and codes: connection exceptions (08), insufficient resources (53), admin or
# crash shutdown and "starting up" (57P01-3), statement timeout (57014), lock timeout (55P03),
# serialization failure and deadlock (40001, 40P01), idle-in-transaction timeout (25P03).
_RETRYABLE_STATES = ("08", "53", "57P01", "57P02", "57P03", "57014", "55P03", "40001", "40P01",
                     "25P03")  # fmt: skip
_RETRYABLE = {
    "QueryCanceledError",
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
    "ConnectionFailureError",
    "AdminShutdownError",
    "TooManyConnectionsError",
    "LockNotAvailableError",
    "DeadlockDetectedError",
    "SerializationError",
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the error DTO."""

    @app.exception_handler(RolodexError)
    async def _domain(request: Request, exc: RolodexError) -> Response:
        status, headers, body = rendered(exc, request_id(request))
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    @app.exception_handler(Rendered)
    async def _rendered(request: Request, exc: Rendered) -> Response:
        return exc.response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        issues = validation_issues(exc.errors())
        return error_response(request, 400, summarize(issues), "VALIDATION_ERROR", issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        message = str(exc.detail) if exc.detail else "Error"
        if status == 404 and message == "Not Found":
            message = f"No route for {request.method} {request.url.path}"
        if status == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        return error_response(request, status, message, headers=getattr(exc, "headers", None))

    # Database and network failures get handlers of their own: Starlette re-raises whatever
    # reaches the catch-all below after answering, so a 503 there would also be logged as an
    # "Exception in ASGI application" traceback in the server's log. asyncpg's own errors come
    # from the read pool (core/db.ReadPool), which has no SQLAlchemy around it.
    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(asyncpg.PostgresError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(OSError)
    @app.exception_handler(TimeoutError)
    async def _infrastructure(request: Request, exc: Exception) -> Response:
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if is_database_down(exc):
            log.warning("database unavailable: %s", type(exc).__name__)
            return error_response(
                request,
                503,
                "The database is unavailable; try again shortly",
                "SERVICE_UNAVAILABLE",
                headers={"Retry-After": "1"},
            )
        log.exception("unhandled error (request %s)", request_id(request))
        return error_response(request, 500, "Internal error", "INTERNAL_ERROR")


async def handled(request: Request, exc: Exception) -> Response:
    """What the app's exception handlers answer `exc` with, for an answer made beside FastAPI's
    routing (api/fastlane.py), where its exception middleware does not reach: the handler of
    the nearest class in the exception's MRO (`Exception`'s at the latest), as Starlette
    picks one."""
    handlers = request.app.exception_handlers
    handler = next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)
    response: Response = await handler(request, exc)
    return response


def error_docs(*errors: type[RolodexError] | int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors a route can answer (plus 400/401/403/429)."""
    statuses = {400, 401, 403, 429}
    for err in errors:
        statuses.add(err if isinstance(err, int) else STATUS[err])
    return {
        status: {"model": ErrorResponse, "description": HTTP_CODES.get(status, "Error")}
        for status in sorted(statuses)
    }
