"""Reusable field types and checks for the core schemas: text, contact data, codes, money."""

# Every failure is a `PydanticCustomError` with a short, human message: it is shown as is in the
# `{"field", "message"}` details of a 400. User text reaches a message only through the error
# context, never through the template itself.

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import email_validator
import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    HttpUrl,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from stdnum import exceptions as stdnum_errors
from stdnum import get_cc_module
from stdnum.dk import cpr as dk_cpr
from stdnum.eu import vat as eu_vat
from stdnum.fi import hetu as fi_hetu
from stdnum.nl import bsn as nl_bsn
from stdnum.no import fodselsnummer as no_fodselsnummer
from stdnum.se import personnummer as se_personnummer
from stdnum.util import clean

from rolodex.core.clock import format_timestamp

__all__ = [
    "CountryCode",
    "Email",
    "Fax",
    "Metadata",
    "MetadataValue",
    "Money",
    "Name",
    "PaymentTermsDays",
    "Phone",
    "Point",
    "ProvinceCode",
    "Tags",
    "TextRule",
    "Timestamp",
    "WebsiteUrl",
    "check_national_id",
    "check_vat",
    "normalize_country",
    "text",
]


def is_digits(text: str) -> bool:
    """One or more ASCII digits. `str.isdigit()` also says yes to `²` and other digits that
    `int()` refuses (a 500 wherever the two met), and `\\d` matches any script's digits."""
    return text.isascii() and text.isdigit()


def _error(message: str, **context: Any) -> PydanticCustomError:
    """A validation error whose message is shown to the caller as is."""
    return PydanticCustomError("value_error", message, context or None)


# --- text -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextRule:
    """`Annotated[str, TextRule(255)]`: strip surrounding whitespace, then bound the length."""

    max_length: int
    min_length: int = 0

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Run the check after pydantic's own `str` validation."""
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Advertise the bounds in OpenAPI."""
        json_schema = handler(schema)
        json_schema["maxLength"] = self.max_length
        if self.min_length:
            json_schema["minLength"] = self.min_length
            json_schema["pattern"] = r"\S"  # blank text is rejected once trimmed
        return json_schema

    def check(self, value: str) -> str:
        """The trimmed value, or an error when it is too short or too long."""
        value = value.strip()
        if len(value) < self.min_length:
            if self.min_length == 1:
                raise _error("must not be empty")
            raise _error("must be at least {min} characters", min=self.min_length)
        if len(value) > self.max_length:
            raise _error("must be at most {max} characters", max=self.max_length)
        return value


def text(max_length: int, *, min_length: int = 0) -> Any:
    """A trimmed `str` type of bounded length (for mypy, spell it `Annotated[str, TextRule(n)]`)."""
    return Annotated[str, TextRule(max_length, min_length=min_length)]


# Written out rather than `text(255, min_length=1)` so that mypy sees a type alias.
Name = Annotated[str, TextRule(255, min_length=1)]


# --- email, phone, web ----------------------------------------------------------------------

_EMAIL_MAX = 254


# RFC 5322 dot-atom of ASCII atext, at most 64 characters: local parts email-validator accepts
# whatever the domain (its own DOT_ATOM_TEXT); anything else takes the full check.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LOCAL_MAX = 64


@functools.lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    """The domain as email-validator normalizes it, or None when it refuses it (cached: a
    bulk import has few domains and many addresses, and the domain is the costly part)."""
    try:
        return email_validator.validate_email(f"x@{domain}", check_deliverability=False).domain
    except email_validator.EmailNotValidError:
        return None


def _email(value: str) -> str:
    """Trimmed, checked with email-validator; the domain is lower-cased, the local part kept."""
    value = value.strip()
    if len(value) > _EMAIL_MAX:
        raise _error("must be at most {max} characters", max=_EMAIL_MAX)
    local, at, domain = value.rpartition("@")
    if at and len(local) <= _LOCAL_MAX and _PLAIN_LOCAL.fullmatch(local):
        # A plain local part: valid whatever its domain, so only the domain needs checking.
        normalized = _email_domain(domain)
        if normalized is not None and len(local) + 1 + len(normalized) <= _EMAIL_MAX:
            return f"{local}@{normalized}"
    try:
        checked = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise _error("not a valid email address") from None
    local_part = value.rsplit("@", 1)[0]
    return f"{local_part}@{checked.domain}"


Email = Annotated[
    str,
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": _EMAIL_MAX}),
]

_PHONE_CHARS = r"[0-9 +()/.\-]"
_PHONE_RE = re.compile(rf"{_PHONE_CHARS}*[0-9]{_PHONE_CHARS}*")


def _phone_rule(max_length: int) -> Callable[[str], str]:
    """A check for phone-like numbers of at most `max_length` characters, kept as given."""

    def check(value: str) -> str:
        value = value.strip()
        if len(value) > max_length:
            raise _error("must be at most {max} characters", max=max_length)
        if not _PHONE_RE.fullmatch(value):
            raise _error("must contain digits and only spaces and + - ( ) / .")
        return value

    return check


def _phone_schema(max_length: int) -> WithJsonSchema:
    """The OpenAPI shape of a phone-like number."""
    pattern = f"^{_PHONE_RE.pattern}$"
    return WithJsonSchema({"type": "string", "maxLength": max_length, "pattern": pattern})


# The seeds' own numbers (`555-0102`, `8`) are not dialable, so no phonenumbers parsing here.
Phone = Annotated[str, AfterValidator(_phone_rule(45)), _phone_schema(45)]
Fax = Annotated[str, AfterValidator(_phone_rule(128)), _phone_schema(128)]

_URL_MAX = 2048
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _website(value: str) -> str:
    """Trimmed and kept as given, once pydantic's HttpUrl accepts it."""
    value = value.strip()
    if len(value) > _URL_MAX:
        raise _error("must be at most {max} characters", max=_URL_MAX)
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        raise _error("must be an http(s) URL with a host") from None
    return value


WebsiteUrl = Annotated[
    str,
    AfterValidator(_website),
    WithJsonSchema({"type": "string", "format": "uri", "maxLength": _URL_MAX}),
]


# --- countries and provinces ----------------------------------------------------------------

_COUNTRY_MESSAGE = "must be an ISO 3166-1 country code (alpha-2 or alpha-3)"
# Kosovo has no ISO code yet, but XK / XKX are what the EU, banks and carriers use.
_USER_ASSIGNED = {"XK": "XK", "XKX": "XK"}


def normalize_country(value: str) -> str:
    """The upper-case ISO 3166-1 alpha-2 code for an alpha-2 or alpha-3 code in any case."""
    return _alpha_2(value.strip().upper())


@functools.lru_cache(maxsize=1024)
def _alpha_2(code: str) -> str:
    """normalize_country for a trimmed upper-case code (cached: pycountry's lookup is slow)."""
    if code in _USER_ASSIGNED:
        return _USER_ASSIGNED[code]
    country = None
    if len(code) == 2 and code.isalpha():
        country = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3 and code.isalpha():
        country = pycountry.countries.get(alpha_3=code)
    if country is None:
        raise ValueError(_COUNTRY_MESSAGE)
    return str(country.alpha_2)


def _country(value: str) -> str:
    """`normalize_country` with a pydantic error."""
    try:
        return normalize_country(value)
    except ValueError:
        raise _error(_COUNTRY_MESSAGE) from None


CountryCode = Annotated[
    str,
    AfterValidator(_country),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{2,3}$", "examples": ["NL", "SWE"]}),
]


def _province(value: str) -> str:
    """The canonical ISO 3166-2 code (`NL-NH`) for a real subdivision code in any case."""
    found = _subdivision(value.strip().upper())
    if found is None:
        raise _error("must be an ISO 3166-2 subdivision code, such as NL-NH")
    return found


@functools.lru_cache(maxsize=4096)
def _subdivision(code: str) -> str | None:
    """The canonical code of a real subdivision, else None (cached: the lookup is slow)."""
    # pycountry's subdivision database has no type hints.
    subdivisions: Any = pycountry.subdivisions
    subdivision = subdivisions.get(code=code) if "-" in code else None
    return None if subdivision is None else str(subdivision.code)


ProvinceCode = Annotated[
    str,
    AfterValidator(_province),
    WithJsonSchema(
        {"type": "string", "pattern": "^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$", "examples": ["NL-NH"]}
    ),
]


# --- numbers --------------------------------------------------------------------------------

_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal(10) ** 12


def _money_input(value: Any) -> Decimal:
    """A JSON number (or a Decimal) as a Decimal; strings and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _error("must be a number")
    # repr() of a float is its shortest round-tripping form: 10.1 stays 10.1, not 10.0999...
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise _error("must be a finite number")
    if amount < 0:
        raise _error("must not be negative")
    if amount >= _MONEY_LIMIT:
        raise _error("must have at most 12 digits before the decimal point")
    if amount != amount.quantize(_CENT):
        raise _error("must have at most 2 decimal places")
    return amount.quantize(_CENT)


def _money_json(value: Decimal) -> int | float:
    """A JSON number: an int when whole, a float otherwise (14 digits survive a float)."""
    return int(value) if value == value.to_integral_value() else float(value)


Money = Annotated[
    Decimal,
    BeforeValidator(_money_input),
    PlainSerializer(_money_json, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 999_999_999_999.99}),
]


def _days(value: Any) -> Any:
    """Refuse booleans and fractional numbers before pydantic's int validation."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise _error("must be a whole number of days")
    return value


def _days_range(value: int) -> int:
    """0..3650 days."""
    if not 0 <= value <= 3650:
        raise _error("must be between 0 and 3650 days")
    return value


PaymentTermsDays = Annotated[
    int,
    BeforeValidator(_days),
    AfterValidator(_days_range),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": 3650}),
]


def _coordinate(low: float, high: float) -> Callable[[Any], float]:
    """A check for a finite number within [low, high]; booleans and strings are refused."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise _error("must be a number")
        number = float(value)
        if not math.isfinite(number):
            raise _error("must be a finite number")
        if not low <= number <= high:
            raise _error("must be between {low} and {high}", low=low, high=high)
        return number

    return check


class Point(BaseModel):
    """A geographic position in degrees (WGS 84)."""

    model_config = ConfigDict(extra="forbid")

    lng: Annotated[
        float,
        BeforeValidator(_coordinate(-180, 180)),
        WithJsonSchema({"type": "number", "minimum": -180, "maximum": 180}),
    ] = Field(description="Longitude in degrees, -180 to 180.", examples=[4.8952])
    lat: Annotated[
        float,
        BeforeValidator(_coordinate(-90, 90)),
        WithJsonSchema({"type": "number", "minimum": -90, "maximum": 90}),
    ] = Field(description="Latitude in degrees, -90 to 90.", examples=[52.3702])


# --- tags and metadata ----------------------------------------------------------------------

_MAX_TAGS = 50


def _unique_tags(tags: list[str]) -> list[str]:
    """Duplicates dropped, first one kept; at most 50 remain."""
    unique = list(dict.fromkeys(tags))
    if len(unique) > _MAX_TAGS:
        raise _error("must have at most {max} tags", max=_MAX_TAGS)
    return unique


Tags = Annotated[
    list[Annotated[str, TextRule(64, min_length=1)]],
    AfterValidator(_unique_tags),
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "minLength": 1, "maxLength": 64},
            "maxItems": _MAX_TAGS,
        }
    ),
]

MetadataValue = str | int | float | bool | None
_MAX_KEYS = 50
_KEY_RE = re.compile(r"[A-Za-z0-9_.\-]{1,40}")
_VALUE_MAX = 500


def _metadata(value: Any) -> dict[str, MetadataValue]:
    """A flat object: at most 50 keys of `[A-Za-z0-9_.-]{1,40}`, scalar values."""
    if not isinstance(value, dict):
        raise _error("must be an object")
    if len(value) > _MAX_KEYS:
        raise _error("must have at most {max} keys", max=_MAX_KEYS)
    for key, item in value.items():
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise _error(
                "key '{key}' must be 1 to 40 letters, digits, '_', '.' or '-'", key=str(key)
            )
        if isinstance(item, str):
            if len(item) > _VALUE_MAX:
                raise _error(
                    "value of '{key}' must be at most {max} characters", key=key, max=_VALUE_MAX
                )
        elif isinstance(item, float) and not math.isfinite(item):
            raise _error("value of '{key}' must be a finite number", key=key)
        elif item is not None and not isinstance(item, int | float):  # bool is an int
            raise _error("value of '{key}' must be a string, number, boolean or null", key=key)
    return value


Metadata = Annotated[
    dict[str, MetadataValue],
    BeforeValidator(_metadata),
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": _MAX_KEYS,
            "propertyNames": {"pattern": "^[A-Za-z0-9_.\\-]{1,40}$"},
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "maxLength": _VALUE_MAX},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "null"},
                ]
            },
        }
    ),
]


# --- time -----------------------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    """Naive datetimes are UTC; aware ones are converted to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


Timestamp = Annotated[
    datetime,
    AfterValidator(_as_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
]


# --- VAT and national ids -------------------------------------------------------------------

_EU_VAT_PREFIXES = {code.upper() for code in eu_vat.MEMBER_STATES} | {"EL"}
_REASONS: dict[type[Exception], str] = {
    stdnum_errors.InvalidChecksum: "wrong check digit",
    stdnum_errors.InvalidLength: "wrong length",
    stdnum_errors.InvalidFormat: "wrong format",
    stdnum_errors.InvalidComponent: "wrong format",
}


def _reason(error: Exception) -> str:
    """A few words for what python-stdnum found wrong."""
    return _REASONS.get(type(error), "not valid")


def _known_country(country: str | None) -> str | None:
    """The alpha-2 code of `country`, or None when it is missing or not a country."""
    if not country:
        return None
    try:
        return normalize_country(country)
    except ValueError:
        return None


def _vat_validator(number: str, judge: str, own: bool) -> Callable[[], object] | None:
    """How `judge` (a country or EU VAT prefix) checks `number`; None when stdnum cannot."""
    if judge in _EU_VAT_PREFIXES:
        prefix = "EL" if judge == "GR" else judge
        if own and not number.startswith((prefix, judge)):
            number = prefix + number
        return lambda: eu_vat.validate(number)
    module = get_cc_module(judge.lower(), "vat")
    return None if module is None else lambda: module.validate(number)


def check_vat(vat: str, country: str | None) -> str | None:
    """An error message when python-stdnum finds `vat` wrong for `country`, else None."""
    # Unknown countries and countries without a stdnum VAT module pass. EU numbers may carry
    # their prefix or not. A number starting with another country's code (a German client with
    # a French VAT number) passes when that country's check or the client's own check passes.
    cc = _known_country(country)
    number = clean(vat, " -./").upper()
    if cc is None or not number:
        return None
    judges: list[tuple[str, bool]] = []
    prefix = number[:2]
    foreign = prefix.isalpha() and prefix not in {cc, "EL" if cc == "GR" else cc}
    if foreign and (prefix in _EU_VAT_PREFIXES or _known_country(prefix) == prefix):
        judges.append((prefix, False))
    judges.append((cc, True))
    failures: list[tuple[str, stdnum_errors.ValidationError]] = []
    for judge, own in judges:
        validate = _vat_validator(number, judge, own)
        if validate is None:
            return None  # a country python-stdnum cannot judge: accept rather than guess
        try:
            validate()
        except stdnum_errors.ValidationError as error:
            failures.append((judge, error))
        else:
            return None
    failed_judge, failure = failures[0]
    return f"not a valid VAT number for {failed_judge} ({_reason(failure)})"


def _danish_cpr(value: str) -> None:
    """CPR has no check digit since 2007; replacement numbers add 60 to the day."""
    if int(value[:2]) <= 60:
        dk_cpr.validate(value)


# Country -> (the shape a value must have to be judged at all, the check, what counts as wrong).
# Only these five: their numbers have a check digit (Denmark: a birth date) that python-stdnum
# tests, and a value of any other shape (a passport number, say) is not ours to reject.
_NATIONAL_IDS: dict[
    str,
    tuple[re.Pattern[str], Callable[[str], object], tuple[type[Exception], ...]],
] = {
    "SE": (
        re.compile(r"(\d{2})?\d{6}[-+]?\d{4}"),
        se_personnummer.validate,
        # InvalidComponent is an odd date: a coordination or organisation number, not an error.
        (stdnum_errors.InvalidChecksum,),
    ),
    "NO": (
        re.compile(r"\d{6} ?\d{5}"),
        no_fodselsnummer.validate,
        (stdnum_errors.InvalidChecksum,),
    ),
    "DK": (
        re.compile(r"\d{6}-?\d{4}"),
        _danish_cpr,
        (stdnum_errors.InvalidComponent,),
    ),
    "FI": (
        re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]", re.IGNORECASE),
        lambda value: fi_hetu.validate(value, allow_temporary=True),
        (stdnum_errors.InvalidChecksum,),
    ),
    "NL": (
        re.compile(r"\d{8,9}|\d{4}\.\d{2}\.\d{3}"),
        nl_bsn.validate,
        (stdnum_errors.InvalidChecksum,),
    ),
}


def check_national_id(value: str, country: str | None) -> str | None:
    """An error message when `value` is clearly a wrong national id for `country`, else None."""
    # Conservative by design: only SE, NO, DK, FI and NL, only values in that country's shape,
    # and only a failed check digit (in Denmark an impossible birth date) counts as wrong.
    cc = _known_country(country)
    rule = _NATIONAL_IDS.get(cc) if cc else None
    number = value.strip()
    if rule is None or not rule[0].fullmatch(number):
        return None
    _shape, validate, wrong = rule
    try:
        validate(number)
    except wrong as error:
        return f"not a valid personal number for {cc} ({_reason(error)})"
    except stdnum_errors.ValidationError:
        return None
    return None
