"""The reusable field types and checks of rolodex.core.validation, through small models."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from rolodex.core.validation import (
    CountryCode,
    Email,
    Fax,
    Metadata,
    Money,
    Name,
    PaymentTermsDays,
    Phone,
    Point,
    ProvinceCode,
    Tags,
    TextRule,
    Timestamp,
    WebsiteUrl,
    check_national_id,
    check_vat,
    normalize_country,
    text,
)

Description = text(10)


class Sample(BaseModel):
    """One optional field of each type."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = None
    note: Annotated[str, TextRule(5, min_length=2)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    fax: Fax | None = None
    country: CountryCode | None = None
    province: ProvinceCode | None = None
    website: WebsiteUrl | None = None
    credit_limit: Money | None = None
    payment_terms: PaymentTermsDays | None = None
    tags: Tags | None = None
    metadata: Metadata | None = None
    point: Point | None = None
    created_at: Timestamp | None = None


def parse(**fields: Any) -> Sample:
    """Validate `fields` as a JSON body, the way a request arrives."""
    return Sample.model_validate_json(json.dumps(fields))


def value(field: str, raw: Any) -> Any:
    """The validated value of one field."""
    return getattr(parse(**{field: raw}), field)


def error(field: str, raw: Any) -> tuple[tuple[str | int, ...], str]:
    """The location and message of the single error `raw` gives in `field`."""
    with pytest.raises(ValidationError) as caught:
        parse(**{field: raw})
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["loc"], errors[0]["msg"]


def message(field: str, raw: Any) -> str:
    """Only the message of the single error."""
    return error(field, raw)[1]


class TestText:
    def test_strips(self) -> None:
        assert value("name", "  Acme BV \n") == "Acme BV"

    def test_name_required_content(self) -> None:
        assert message("name", "   ") == "must not be empty"
        assert message("name", "") == "must not be empty"

    def test_name_bounds(self) -> None:
        assert value("name", "x" * 255) == "x" * 255
        assert message("name", "x" * 256) == "must be at most 255 characters"

    def test_length_counts_after_strip(self) -> None:
        assert value("description", "  0123456789  ") == "0123456789"

    def test_empty_stays_empty_without_min(self) -> None:
        assert value("description", "   ") == ""

    def test_min_length(self) -> None:
        assert message("note", " a ") == "must be at least 2 characters"
        assert value("note", "ab") == "ab"

    def test_not_a_string(self) -> None:
        with pytest.raises(ValidationError):
            parse(name=5)

    def test_json_schema(self) -> None:
        schema = Sample.model_json_schema()["properties"]["name"]["anyOf"][0]
        assert schema["maxLength"] == 255
        assert schema["minLength"] == 1


class TestEmail:
    def test_valid_trimmed_local_part_kept(self) -> None:
        assert value("email", " Jane.Doe@Example.COM ") == "Jane.Doe@example.com"

    @pytest.mark.parametrize("raw", ["nope", "a@", "@example.com", "a b@example.com", "a@b"])
    def test_invalid(self, raw: str) -> None:
        assert message("email", raw) == "not a valid email address"

    def test_too_long(self) -> None:
        raw = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"
        assert len(raw) > 254
        assert message("email", raw) == "must be at most 254 characters"


def _reference_email(raw: str) -> str | None:
    """What `Email` answered before its fast path: email-validator on every address."""
    raw = raw.strip()
    if len(raw) > 254:
        return None
    try:
        checked = email_validator.validate_email(raw, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return f"{raw.rsplit('@', 1)[0]}@{checked.domain}"


_LOCAL_CHARS = st.sampled_from(list("aZ09.!#$%&'*+/=?^_`{|}~-\"@ é(),:;<>[]"))
_DOMAINS = st.sampled_from(
    [
        "example.com",
        "Example.COM",
        "sub.example.co.uk",
        "a-b.example",
        "-bad.example",
        "bad-.example",
        "b..example",
        "localhost",
        "münchen.de",
        "xn--mnchen-3ya.de",
        "[127.0.0.1]",
        "example.com.",
        "x" * 64 + ".com",
        ".".join(["d" * 60] * 4) + ".com",
        "a.invalid",
        "ex ample.com",
        "",
    ]
)


class TestEmailFastPath:
    """The per-domain cache answers exactly what email-validator answers for every address."""

    @settings(max_examples=400, deadline=None)
    @given(
        local=st.text(_LOCAL_CHARS, min_size=0, max_size=70),
        domain=_DOMAINS,
        extra_at=st.booleans(),
    )
    def test_same_answers_as_email_validator(self, local: str, domain: str, extra_at: bool) -> None:
        raw = f"{local}@{domain}" if not extra_at else f"{local}@x@{domain}"
        expected = _reference_email(raw)
        try:
            got: str | None = value("email", raw)
        except ValidationError:
            got = None
        assert got == expected, raw

    @pytest.mark.parametrize("local", ["a" * 64, "a" * 65, "a.b", "a..b", ".a", "a."])
    def test_local_part_edges(self, local: str) -> None:
        raw = f"{local}@example.com"
        expected = _reference_email(raw)
        try:
            got: str | None = value("email", raw)
        except ValidationError:
            got = None
        assert got == expected


class TestPhone:
    @pytest.mark.parametrize(
        "raw", ["555-0102", "8", "+1-555-0102", "123-11-11", "+31 (0)20 123 45 67", "020/12.34"]
    )
    def test_seed_and_real_numbers_kept_as_given(self, raw: str) -> None:
        assert value("phone", raw) == raw

    def test_trimmed(self) -> None:
        assert value("phone", " 555-0102 ") == "555-0102"

    @pytest.mark.parametrize("raw", ["abc", "555-0102 ext 3", "---", "", "+"])
    def test_invalid(self, raw: str) -> None:
        assert message("phone", raw) == "must contain digits and only spaces and + - ( ) / ."

    def test_length(self) -> None:
        assert value("phone", "1" * 45) == "1" * 45
        assert message("phone", "1" * 46) == "must be at most 45 characters"

    def test_fax_allows_128(self) -> None:
        assert value("fax", "1" * 128) == "1" * 128
        assert message("fax", "1" * 129) == "must be at most 128 characters"
        assert value("fax", "8") == "8"


class TestCountry:
    @pytest.mark.parametrize(
        ("raw", "stored"),
        [("NL", "NL"), ("nl", "NL"), ("NLD", "NL"), ("swe", "SE"), (" de ", "DE")],
    )
    def test_alpha2_and_alpha3(self, raw: str, stored: str) -> None:
        assert value("country", raw) == stored

    @pytest.mark.parametrize("raw", ["XX", "", "N", "NETHERLANDS", "N1", "ZZZ"])
    def test_invalid(self, raw: str) -> None:
        assert message("country", raw) == "must be an ISO 3166-1 country code (alpha-2 or alpha-3)"

    def test_normalize_country(self) -> None:
        assert normalize_country("deu") == "DE"
        assert normalize_country("XK") == "XK"
        with pytest.raises(ValueError, match="ISO 3166-1"):
            normalize_country("Germany")


class TestProvince:
    @pytest.mark.parametrize(("raw", "stored"), [("NL-NH", "NL-NH"), ("nl-nh", "NL-NH")])
    def test_valid(self, raw: str, stored: str) -> None:
        assert value("province", raw) == stored

    def test_other_countries(self) -> None:
        assert value("province", "se-ab") == "SE-AB"
        assert value("province", "US-CA") == "US-CA"

    @pytest.mark.parametrize("raw", ["NL-XX", "NH", "", "NL"])
    def test_invalid(self, raw: str) -> None:
        assert message("province", raw) == "must be an ISO 3166-2 subdivision code, such as NL-NH"


class TestWebsite:
    @pytest.mark.parametrize(
        "raw", ["http://www.example.com", "https://example.com/a?b=c#d", "http://localhost:8000"]
    )
    def test_kept_as_given(self, raw: str) -> None:
        assert value("website", raw) == raw

    def test_trimmed(self) -> None:
        assert value("website", " https://example.com ") == "https://example.com"

    @pytest.mark.parametrize("raw", ["www.example.com", "ftp://example.com", "http://", ""])
    def test_invalid(self, raw: str) -> None:
        assert message("website", raw) == "must be an http(s) URL with a host"

    def test_too_long(self) -> None:
        raw = "https://example.com/" + "a" * 2030
        assert message("website", raw) == "must be at most 2048 characters"


class TestMoney:
    @pytest.mark.parametrize(
        ("raw", "stored"),
        [
            (0, "0.00"),
            (1000, "1000.00"),
            (10.1, "10.10"),
            (0.07, "0.07"),
            (999999999999.99, "999999999999.99"),
        ],
    )
    def test_valid(self, raw: float, stored: str) -> None:
        assert value("credit_limit", raw) == Decimal(stored)

    def test_python_decimal(self) -> None:
        sample = Sample.model_validate({"credit_limit": Decimal("12.50")})
        assert sample.credit_limit == Decimal("12.50")

    def test_serialised_as_json_number(self) -> None:
        dumped = json.loads(parse(credit_limit=10.1).model_dump_json(include={"credit_limit"}))
        assert dumped == {"credit_limit": 10.1}
        dumped = json.loads(parse(credit_limit=1000).model_dump_json(include={"credit_limit"}))
        assert dumped == {"credit_limit": 1000}
        assert isinstance(dumped["credit_limit"], int)

    def test_python_dump_keeps_decimal(self) -> None:
        assert parse(credit_limit=5).model_dump()["credit_limit"] == Decimal("5.00")

    def test_three_decimals(self) -> None:
        assert message("credit_limit", 1.234) == "must have at most 2 decimal places"

    def test_negative(self) -> None:
        assert message("credit_limit", -0.01) == "must not be negative"

    def test_too_large(self) -> None:
        assert (
            message("credit_limit", 1e12) == "must have at most 12 digits before the decimal point"
        )

    @pytest.mark.parametrize("raw", ["10", True, None, [1]])
    def test_not_a_number(self, raw: Any) -> None:
        if raw is None:
            assert parse(credit_limit=None).credit_limit is None
            return
        assert message("credit_limit", raw) == "must be a number"

    def test_not_finite(self) -> None:
        with pytest.raises(ValidationError, match="must be a finite number"):
            Sample.model_validate({"credit_limit": float("inf")})


class TestPaymentTerms:
    @pytest.mark.parametrize(("raw", "stored"), [(0, 0), (30, 30), (3650, 3650), (45.0, 45)])
    def test_valid(self, raw: float, stored: int) -> None:
        assert value("payment_terms", raw) == stored

    @pytest.mark.parametrize("raw", [-1, 3651])
    def test_out_of_range(self, raw: int) -> None:
        assert message("payment_terms", raw) == "must be between 0 and 3650 days"

    @pytest.mark.parametrize("raw", [True, 30.5])
    def test_not_whole(self, raw: Any) -> None:
        assert message("payment_terms", raw) == "must be a whole number of days"


class TestTags:
    def test_trimmed_and_deduplicated_keeping_first(self) -> None:
        assert value("tags", [" vip ", "b", "vip", "b ", "a"]) == ["vip", "b", "a"]

    def test_empty_list(self) -> None:
        assert value("tags", []) == []

    def test_empty_tag(self) -> None:
        assert error("tags", ["ok", "  "]) == (("tags", 1), "must not be empty")

    def test_long_tag(self) -> None:
        assert value("tags", ["x" * 64]) == ["x" * 64]
        assert error("tags", ["x" * 65]) == (("tags", 0), "must be at most 64 characters")

    def test_at_most_50(self) -> None:
        assert len(value("tags", [str(i) for i in range(50)])) == 50
        assert message("tags", [str(i) for i in range(51)]) == "must have at most 50 tags"

    def test_duplicates_do_not_count(self) -> None:
        assert value("tags", ["a"] * 80) == ["a"]

    def test_not_strings(self) -> None:
        with pytest.raises(ValidationError):
            parse(tags=[1])


class TestMetadata:
    def test_scalars(self) -> None:
        raw = {"a": "x", "b.c": 1, "d-e": 1.5, "f_g": True, "H": None}
        assert value("metadata", raw) == raw

    def test_types_kept(self) -> None:
        stored = value("metadata", {"n": 1, "t": True, "f": 1.0})
        assert [type(stored[k]) for k in ("n", "t", "f")] == [int, bool, float]

    @pytest.mark.parametrize("nested", [{"b": 1}, [1, 2], []])
    def test_nested_rejected_naming_key(self, nested: Any) -> None:
        assert message("metadata", {"ok": 1, "deep": nested}) == (
            "value of 'deep' must be a string, number, boolean or null"
        )

    @pytest.mark.parametrize("key", ["", "a b", "x" * 41, "ü", "a/b"])
    def test_bad_keys(self, key: str) -> None:
        assert message("metadata", {key: 1}) == (
            f"key '{key}' must be 1 to 40 letters, digits, '_', '.' or '-'"
        )

    def test_key_of_40(self) -> None:
        assert value("metadata", {"x" * 40: 1}) == {"x" * 40: 1}

    def test_at_most_50_keys(self) -> None:
        assert len(value("metadata", {f"k{i}": i for i in range(50)})) == 50
        assert message("metadata", {f"k{i}": i for i in range(51)}) == "must have at most 50 keys"

    def test_long_string_value(self) -> None:
        assert value("metadata", {"a": "x" * 500}) == {"a": "x" * 500}
        assert (
            message("metadata", {"a": "x" * 501}) == "value of 'a' must be at most 500 characters"
        )

    def test_not_an_object(self) -> None:
        assert message("metadata", [1]) == "must be an object"


class TestPoint:
    def test_valid(self) -> None:
        assert value("point", {"lng": 4.8952, "lat": 52.3702}) == Point(lng=4.8952, lat=52.3702)

    def test_bounds_inclusive(self) -> None:
        assert value("point", {"lng": -180, "lat": 90}) == Point(lng=-180, lat=90)

    @pytest.mark.parametrize(
        ("raw", "loc", "msg"),
        [
            ({"lng": 180.5, "lat": 0}, ("point", "lng"), "must be between -180 and 180"),
            ({"lng": 0, "lat": -90.1}, ("point", "lat"), "must be between -90 and 90"),
            ({"lng": True, "lat": 0}, ("point", "lng"), "must be a number"),
            ({"lng": "1", "lat": 0}, ("point", "lng"), "must be a number"),
            ({"lng": 1, "lat": 0, "alt": 3}, ("point", "alt"), "Extra inputs are not permitted"),
            ({"lng": 1}, ("point", "lat"), "Field required"),
        ],
    )
    def test_invalid(self, raw: Any, loc: tuple[str, ...], msg: str) -> None:
        assert error("point", raw) == (loc, msg)

    @pytest.mark.parametrize("bad", [float("nan"), float("inf")])
    def test_not_finite(self, bad: float) -> None:
        with pytest.raises(ValidationError, match="must be a finite number"):
            Point.model_validate({"lng": bad, "lat": 0})


class TestTimestamp:
    def test_naive_is_utc(self) -> None:
        stored = value("created_at", "2023-10-27T10:00:00")
        assert stored == datetime(2023, 10, 27, 10, tzinfo=UTC)

    def test_json_format(self) -> None:
        sample = parse(created_at="2023-10-27T12:00:00.123456+02:00")
        assert json.loads(sample.model_dump_json(include={"created_at"})) == {
            "created_at": "2023-10-27T10:00:00.123Z"
        }

    def test_whole_seconds_get_milliseconds(self) -> None:
        sample = Sample(created_at=datetime(2023, 10, 27, 10, tzinfo=timezone(timedelta(hours=-5))))
        assert sample.model_dump(mode="json")["created_at"] == "2023-10-27T15:00:00.000Z"

    def test_python_dump_keeps_datetime(self) -> None:
        stored = parse(created_at="2023-10-27T10:00:00Z").model_dump()["created_at"]
        assert stored == datetime(2023, 10, 27, 10, tzinfo=UTC)


class TestCheckVat:
    @pytest.mark.parametrize(
        ("vat", "country"),
        [
            ("NL004495445B01", "NL"),
            ("004495445B01", "NL"),
            ("NL 0044.95.445.B01", "nld"),
            ("DE136695976", "DE"),
            ("136695976", "DE"),
            ("EL094259216", "GR"),
            ("094259216", "GR"),
            ("ATU13585627", "AT"),
            ("GB980780684", "GB"),
            ("CHE-116.281.710 MWST", "CH"),
        ],
    )
    def test_valid(self, vat: str, country: str) -> None:
        assert check_vat(vat, country) is None

    def test_wrong_checksum(self) -> None:
        assert check_vat("DE136695977", "DE") == "not a valid VAT number for DE (wrong check digit)"
        assert check_vat("NL004495446B01", "NL") == (
            "not a valid VAT number for NL (wrong check digit)"
        )

    def test_wrong_length(self) -> None:
        assert check_vat("DE12345", "DE") == "not a valid VAT number for DE (wrong length)"

    @pytest.mark.parametrize("country", [None, "", "ZZ", "Narnia", "US"])
    def test_unknown_country_or_no_module_passes(self, country: str | None) -> None:
        assert check_vat("anything 123", country) is None

    def test_foreign_prefix_judged_by_its_country(self) -> None:
        assert check_vat("DE136695976", "FR") is None
        assert check_vat("DE136695977", "FR") == (
            "not a valid VAT number for DE (wrong check digit)"
        )

    def test_foreign_prefix_without_module_passes(self) -> None:
        assert check_vat("US123", "DE") is None


class TestCheckNationalId:
    @pytest.mark.parametrize(
        ("number", "country"),
        [
            ("811228-9874", "SE"),
            ("19811228-9874", "SE"),
            ("5560360793", "SE"),  # an organisation number
            ("15108695088", "NO"),
            ("211062-5629", "DK"),
            ("711062-5629", "DK"),  # a replacement number: day + 60
            ("131052-308T", "FI"),
            ("111222333", "NL"),
            ("1112.22.333", "NL"),
        ],
    )
    def test_valid(self, number: str, country: str) -> None:
        assert check_national_id(number, country) is None

    @pytest.mark.parametrize(
        ("number", "country"),
        [
            ("811228-9873", "SE"),
            ("15108695089", "NO"),
            ("131052-308U", "FI"),
            ("111222334", "NL"),
        ],
    )
    def test_wrong_check_digit(self, number: str, country: str) -> None:
        assert check_national_id(number, country) == (
            f"not a valid personal number for {country} (wrong check digit)"
        )

    def test_danish_impossible_date(self) -> None:
        assert check_national_id("320162-5629", "DK") == (
            "not a valid personal number for DK (wrong format)"
        )

    @pytest.mark.parametrize(
        ("number", "country"),
        [
            ("P1234567", "SE"),  # another shape: a passport number, say
            ("111222334", "DE"),  # a country without a rule
            ("111222334", None),
            ("111222334", "Narnia"),
        ],
    )
    def test_when_in_doubt_accept(self, number: str, country: str | None) -> None:
        assert check_national_id(number, country) is None


def test_is_digits_means_ascii_digits() -> None:
    from rolodex.core.validation import is_digits

    assert is_digits("0123") and not is_digits("") and not is_digits("-1")
    assert not is_digits("²") and not is_digits("١٢") and not is_digits("1 ")
