"""Recras' error answers: 406 for every input error, in the native error DTO.

The document answers `406 Not Acceptable` ("Fout in de invoer") to bad input and `403` to a
user without the `editContact` permission (here: a key without the write scope). RecrasRoute
renders those for every route of the dialect, with Recras' field names in `details`; every
other error (401, 404, 429, ...) is the native one. A path id that is not a number names no
customer: 404, like an unknown one.

The rendered answer is raised (`api.errors.Rendered`), not returned, so that the request's
transaction is rolled back like for any other error.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from rolodex.api.errors import Rendered, error_response, summarize, validation_issues
from rolodex.core.errors import FieldIssue, Forbidden, Invalid
from rolodex.dialects.recras.mapping import recras_field

INPUT_ERROR = 406
FORBIDDEN_MESSAGE = (
    "This API key may not change customers: it lacks the write scope "
    "(Recras: the user does not have the editContact permission)"
)


class RecrasRoute(APIRoute):
    """An APIRoute whose input errors answer 406 and whose scope errors name editContact."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def recras_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise Rendered(from_request_error(request, exc.errors())) from exc
            except Invalid as exc:
                raise Rendered(input_error(request, exc.message, exc.details)) from exc
            except StarletteHTTPException as exc:
                if exc.status_code != 400:  # the body could not be read as JSON at all
                    raise
                issues = [FieldIssue("body", str(exc.detail))]
                raise Rendered(input_error(request, summarize(issues), issues)) from exc
            except Forbidden as exc:
                raise Rendered(error_response(request, 403, FORBIDDEN_MESSAGE, exc.code)) from exc

        return recras_handler


def from_request_error(request: Request, errors: Sequence[Any]) -> Response:
    """A request that failed FastAPI's parsing: a bad path id is a 404, anything else a 406."""
    if errors and all(tuple(error.get("loc", ()))[:1] == ("path",) for error in errors):
        return error_response(request, 404, "No customer with this id", "NOT_FOUND")
    issues = validation_issues([dict(error) for error in errors])
    return input_error(request, summarize(issues), issues)


def input_error(request: Request, message: str, details: Sequence[FieldIssue]) -> Response:
    """406 with the native DTO, its fields named as Recras names them."""
    issues = [FieldIssue(recras_field(issue.field), issue.message) for issue in details]
    if issues and any(issue != renamed for issue, renamed in zip(details, issues, strict=True)):
        message = summarize(issues)
    return error_response(request, INPUT_ERROR, message, "VALIDATION_ERROR", issues)
