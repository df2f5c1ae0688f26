"""TimeWave's errors: a validation failure is Laravel's 422 with `errors`, beside the error DTO.

Every route of the TimeWave router uses `TimeWaveRoute`, whose handler catches the validation
failures of its request: a body the document's rules refuse (`RequestValidationError`) and a
core `Invalid` raised by the mapping or the services. Both answer 422 with the usual DTO fields
(`status, success, message, error: "VALIDATION_ERROR", details, requestId`) plus Laravel's
`errors` object `{"field": ["message"]}`, fields named as TimeWave names them. Anything else
(401, 403, 404, 409, 429, a body that is not JSON at all) goes to the app's handlers and
answers the native DTO.

`guard_refusal` answers what the app's input guard refuses before any route runs (text with a
NUL or a lone surrogate, JSON nested too deeply) the same way: a 422 naming the field or query
parameter Laravel's way; a NUL in the path names no client, a 404 as for any id that is not a
number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from rolodex.api.errors import error_body, request_id
from rolodex.api.middleware import Refusal
from rolodex.core.errors import FieldIssue, Invalid
from rolodex.dialects.timewave import mapping
from rolodex.dialects.timewave.rules import ERROR_TYPE

STATUS = 422
# Pydantic's own failures (shape, presence) in Laravel's words.
MESSAGES = {
    "missing": "The :attribute field is required.",
    "extra_forbidden": "The :attribute field is not allowed.",
    "list_type": "The :attribute field must be an array.",
    "model_type": "The :attribute field must be an object.",
    "model_attributes_type": "The :attribute field must be an object.",
    "dict_type": "The :attribute field must be an object.",
    "too_long": "The :attribute field must not have more than {max_length} items.",
}
_LOCATIONS = ("body", "query", "path", "header")


class TimeWaveRoute(APIRoute):
    """A route whose validation failures answer Laravel's 422."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                issues = request_issues(exc.errors())
                if issues is None:
                    raise  # not JSON at all: the native 400
                return unprocessable(request, issues)
            except Invalid as exc:
                return unprocessable(request, domain_issues(exc))

        return handle


def request_issues(errors: Sequence[Any]) -> list[FieldIssue] | None:
    """Pydantic's failures as Laravel keys (`references.0.name`) and messages; None for
    malformed JSON."""
    issues = []
    for error in errors:
        kind = error.get("type", "")
        if kind == "json_invalid":
            return None
        loc = list(error.get("loc", ()))
        if loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        key = ".".join(str(part) for part in loc) or "body"
        if kind == ERROR_TYPE:
            message = str(error.get("msg", ""))
        elif kind in MESSAGES:
            message = MESSAGES[kind].format(**(error.get("ctx") or {}))
        else:
            message = _invalid(str(error.get("msg", "invalid")))
        issues.append(FieldIssue(key, _fill(message, key)))
    return issues


def domain_issues(exc: Invalid) -> list[FieldIssue]:
    """A core validation error with TimeWave's field names and Laravel-style messages."""
    details = exc.details or [FieldIssue("body", exc.message)]
    issues = []
    for detail in details:
        key = mapping.timewave_field(detail.field)
        message = detail.message if ":attribute" in detail.message else _invalid(detail.message)
        issues.append(FieldIssue(key, _fill(message, key)))
    return issues


def _invalid(reason: str) -> str:
    return f"The :attribute field is invalid: {reason.rstrip('.')}."


def _fill(message: str, key: str) -> str:
    """Laravel's `:attribute`: the field's name with spaces for underscores."""
    return message.replace(":attribute", key.replace("_", " "))


def unprocessable(request: Request, issues: Sequence[FieldIssue]) -> Response:
    """The 422 as a response."""
    body = laravel_body(request_id(request), issues)
    return Response(orjson.dumps(body), status_code=STATUS, media_type="application/json")


def laravel_body(rid: str, issues: Sequence[FieldIssue]) -> dict[str, Any]:
    """The 422: the error DTO and `errors`; `message` is the first one (and how many more)."""
    issues = list(issues) or [FieldIssue("body", "The given data was invalid.")]
    errors: dict[str, list[str]] = {}
    for issue in issues:
        errors.setdefault(issue.field, []).append(issue.message)
    more = len(issues) - 1
    message = issues[0].message
    if more:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    body = error_body(STATUS, message, "VALIDATION_ERROR", issues, rid)
    body["errors"] = errors
    return body


def guard_refusal(refusal: Refusal, rid: str) -> tuple[int, dict[str, Any]]:
    """What the input guard refused, as TimeWave answers it (see the module's docstring)."""
    if refusal.where == "path":
        message = "No client at this path: it holds a NUL character"
        return 404, error_body(404, message, "NOT_FOUND", (), rid)
    key = laravel_key(refusal.name)
    if refusal.rule == "depth":
        message = f"The :attribute field must not be nested deeper than {refusal.limit} levels."
    else:
        message = "The :attribute field must not contain NUL characters or unpaired surrogates."
    return STATUS, laravel_body(rid, [FieldIssue(key, _fill(message, key))])


def laravel_key(path: str) -> str:
    """A native field path as Laravel names it: `references[0].name` -> `references.0.name`."""
    return re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")
