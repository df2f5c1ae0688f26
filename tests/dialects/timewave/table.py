"""The document's field table (seeds/003) as test data: for every validated field, values its
rules accept (with what TimeWave answers and where the native record keeps them), values its
rules refuse, and values the rules allow but the native model cannot hold (both a 422)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A valid email of exactly 245 characters (the document's max) and one of 246.
LOCAL = "a" * 64
EMAIL_245 = f"{LOCAL}@{'.'.join(['x' * 58] * 3)}.com"
EMAIL_246 = f"{LOCAL}@{'.'.join(['x' * 59, 'x' * 58, 'x' * 58])}.com"
assert (len(EMAIL_245), len(EMAIL_246)) == (245, 246)

NativePath = tuple[str, ...]


@dataclass(frozen=True)
class Valid:
    sent: Any
    shown: Any  # what TimeWave answers for it
    native: NativePath  # where the native record keeps it
    stored: Any  # and how


@dataclass(frozen=True)
class Row:
    field: str
    valid: list[Valid]
    violating: list[Any]  # refused by the document's rules
    unholdable: list[Any] = field(default_factory=list)  # allowed, but not natively (422 too)
    extra: dict[str, Any] = field(default_factory=dict)  # sent alongside
    shown_as: str | None = None  # the answer's name, when not the field's

    @property
    def answer_key(self) -> str:
        return self.shown_as or self.field


def same(sent: Any, *native: str) -> Valid:
    return Valid(sent, sent, native, sent)


def meta(sent: Any, shown: Any = None, key: str = "") -> Valid:
    shown = sent if shown is None else shown
    return Valid(sent, shown, ("metadata", f"timewave.{key}"), shown)


def text_row(name: str, limit: int, *native: str, unholdable: list[Any] | None = None) -> Row:
    """A `string, max:N` row; digits only so phone-like native fields accept the longest."""
    return Row(
        name,
        valid=[same("1" * limit, *native), same("2", *native)],
        violating=["1" * (limit + 1), 12, ["1"]],
        unholdable=unholdable or [],
    )


def id_row(name: str) -> Row:
    """An `integer, exists in <a table Rolodex does not have>` row: any positive integer."""
    return Row(
        name,
        valid=[meta(7, key=name), meta("8", 8, key=name), meta(2**31, key=name)],
        violating=["x", 1.5, 0, -2, True, "1.0", 2**63],
    )


PAYMENT_TYPES = {1: "PRINT", 2: "EMAIL", 3: "DIRECT_DEBIT", 4: "E_PRINT", 7: "E_INVOICE"}
PAYMENT_TYPES |= {8: "EDI", 9: "KIVRA"}
BILLING = {"secondary_email": "billing@example.com"}

ROWS: list[Row] = [
    Row(
        "status",
        valid=[
            Valid("prospect", "prospect", ("status",), "PROSPECT"),
            Valid("active", "active", ("status",), "ACTIVE"),
            Valid("inactive", "inactive", ("status",), "INACTIVE"),
            Valid("deleted", "deleted", ("status",), "CLOSED"),
        ],
        violating=["borttagen", "Active", "closed", 1],
    ),
    Row(
        "title",
        valid=[same("T" * 255, "name"), same("Andersson Bygg AB", "name")],
        violating=["T" * 256, 12],
    ),
    Row(
        "number",
        valid=[meta("1" * 32, key="number"), meta("A-12", key="number")],
        violating=["1" * 33, 12],
    ),
    text_row("phone", 45, "phone", unholdable=["call the office"]),
    text_row("mobile", 45, "mobile", unholdable=["n/a"]),
    Row(
        "paymentterms",
        valid=[
            Valid("30", "30", ("paymentTerms",), 30),
            Valid("0", "0", ("paymentTerms",), 0),
            Valid("3650", "3650", ("paymentTerms",), 3650),
        ],
        violating=["12345", 30],
        unholdable=["abcd", "9999", "-1", "1.5"],
    ),
    Row(
        "email",
        valid=[same("info@example.com", "email"), same(EMAIL_245, "email")],
        violating=["not an email", "info@", EMAIL_246, 5],
    ),
    id_row("employee_id"),
    Row(
        "payment_type",
        valid=[
            Valid(code, code, ("paymentType",), native) for code, native in PAYMENT_TYPES.items()
        ],
        violating=[0, 5, 6, 10, "email", 2.5, True],
        extra=BILLING,
        shown_as="paymenttype",
    ),
    Row(
        "paymenttype",  # the answers' name, accepted in bodies too
        valid=[Valid(9, 9, ("paymentType",), "KIVRA")],
        violating=[5],
    ),
    Row(
        "hourpot",
        valid=[meta(0, key="hourpot"), meta(12.5, key="hourpot"), meta("3", 3, key="hourpot")],
        violating=[-1, -0.5, "x", True, "1,5"],
    ),
    text_row("fax", 128, "fax", unholdable=["fax us"]),
    text_row("vat", 45, "vatNumber"),
    text_row("workphone", 45, "workPhone", unholdable=["ext. twelve"]),
    Row(
        "has_hourpot",
        valid=[
            meta(True, key="has_hourpot"),
            meta(False, key="has_hourpot"),
            meta(1, True, key="has_hourpot"),
            meta(0, False, key="has_hourpot"),
            meta("1", True, key="has_hourpot"),
            meta("0", False, key="has_hourpot"),
        ],
        violating=["yes", "true", 2, 1.0],
    ),
    Row(
        "secondary_email",
        valid=[same("billing@example.com", "billingEmail"), same(EMAIL_245, "billingEmail")],
        violating=["b" * 246, 5],
        unholdable=["not an email"],
    ),
    Row(
        "www",
        valid=[same("https://www.example.com/a?b=1", "website"), same("http://x.se", "website")],
        violating=["www.example.com", "https://" + "x" * 248, "just text", 5],
        unholdable=["ftp://example.com/file"],
    ),
    id_row("invoicetemplate_id"),
    Row("first_name", valid=[same("K" * 64, "firstName")], violating=["K" * 65, 5]),
    Row("last_name", valid=[same("A" * 64, "lastName")], violating=["A" * 65, 5]),
    Row("company_name", valid=[same("C" * 128, "companyName")], violating=["C" * 129, 5]),
    text_row("personal_number", 45, "personalNumber"),
    Row(
        "invoice_fee_id",
        valid=[meta(1, key="invoice_fee_id"), meta(-3, key="invoice_fee_id")],
        violating=["x", 1.5, False],
    ),
    id_row("bank_id"),
    Row(
        "full_reduction_pot",
        valid=[meta(0, key="full_reduction_pot"), meta(2, key="full_reduction_pot")],
        violating=[-1, "x", 1.5],
    ),
    Row(
        "taxreduction_percentage",
        valid=[
            meta(30, key="taxreduction_percentage"),
            meta(0.5, key="taxreduction_percentage"),
            meta("25", 25, key="taxreduction_percentage"),
        ],
        violating=[-1, "x", False],
    ),
    Row(
        "reference_name",
        valid=[meta("Karin Andersson", key="reference_name")],
        violating=[5, ["x"]],
        unholdable=["x" * 501],
    ),
    Row(
        "comment",
        valid=[same("c" * 255, "additionalInformation")],
        violating=["c" * 256, 5],
    ),
]
ROW_IDS = [row.field for row in ROWS]


def dig(record: dict[str, Any], path: NativePath) -> Any:
    """A value of a native record by its path (metadata keys hold dots, hence a tuple)."""
    value: Any = record
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value
