"""The document's validation rules (seeds/003), applied the way TimeWave (Laravel) applies them.

A field's rules run in the table's order and the first failure is reported (Laravel's `bail`).
Before them, strings are trimmed and an empty string is null (Laravel's TrimStrings and
ConvertEmptyStringsToNull middleware); null passes every rule of an optional field (nullable).
Messages are Laravel's, with `:attribute` left for errors.py to fill in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import email_validator
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

Check = Callable[[Any], Any]

ERROR_TYPE = "timewave"
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_INT_LIMIT = 2**63
_NUMERIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Laravel's `url` rule: a scheme, `://`, a host, then anything without spaces.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@]+(?:[/?#][^\s]*)?")


def fail(message: str, **context: Any) -> PydanticCustomError:
    """A rule failure; `message` is Laravel's, `:attribute` is filled in when rendered."""
    return PydanticCustomError(ERROR_TYPE, message, context or None)


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise fail("The :attribute field must be a string.")
    return value


def max_chars(limit: int) -> Check:
    def check(value: str) -> str:
        if len(value) > limit:
            raise fail("The :attribute field must not be greater than {max} characters.", max=limit)
        return value

    return check


def email(value: str) -> str:
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise fail("The :attribute field must be a valid email address.") from None
    return value


def url(value: str) -> str:
    if not _URL.fullmatch(value):
        raise fail("The :attribute field must be a valid URL.")
    return value


def integer(value: Any) -> int:
    """7, 7.0 or "7" within PHP's 64-bit int (FILTER_VALIDATE_INT); not true, 7.5 or "7.5"."""
    whole_float = isinstance(value, float) and value.is_integer() and abs(value) < _INT_LIMIT
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif whole_float or (isinstance(value, str) and _INTEGER.fullmatch(value)):
        number = int(value)
    if number is None or not -_INT_LIMIT <= number < _INT_LIMIT:
        raise fail("The :attribute field must be an integer.")
    return number


def numeric(value: Any) -> int | float:
    """A JSON number or a numeric string (PHP's is_numeric); whole values stay integers."""
    if isinstance(value, bool):
        raise fail("The :attribute field must be a number.")
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        value = float(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise fail("The :attribute field must be a number.")


def at_least(low: int) -> Check:
    def check(value: float) -> float:
        if value < low:
            raise fail("The :attribute field must be at least {min}.", min=low)
        return value

    return check


def boolean(value: Any) -> bool:
    """true, false, 1, 0, "1" or "0" (Laravel's `boolean`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str) and value in (0, 1, "0", "1"):
        return value in (1, "1")
    raise fail("The :attribute field must be true or false.")


def one_of(allowed: Sequence[Any]) -> Check:
    """Laravel's `in:`: exact values."""

    def check(value: Any) -> Any:
        if value not in allowed or isinstance(value, bool):
            raise fail("The selected :attribute is invalid.")
        return value

    return check


def positive(value: int) -> int:
    """`exists in <table>` where Rolodex has no such table: any id, i.e. a positive integer."""
    if value < 1:
        raise fail("The selected :attribute is invalid.")
    return value


class Rules:
    """`Annotated[Any, Rules(string, max_chars(255), schema=...)]`: one field's rules."""

    __slots__ = ("checks", "prohibited", "required", "schema")

    def __init__(
        self,
        *checks: Check,
        schema: dict[str, Any] | None = None,
        required: bool = False,
        prohibited: bool = False,
    ) -> None:
        self.checks = checks
        self.schema = schema or {}
        self.required = required
        self.prohibited = prohibited

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return dict(self.schema)

    def validate(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            if self.required:
                raise fail("The :attribute field is required.")
            return None
        if self.prohibited:
            raise fail("The :attribute field is prohibited.")
        for check in self.checks:
            value = check(value)
        return value
