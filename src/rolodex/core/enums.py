"""The native enums (Syniotec's, plus `kind` and the extra statuses the dialects need)."""

from __future__ import annotations

from enum import StrEnum


class ClientKind(StrEnum):
    COMPANY = "COMPANY"
    PERSON = "PERSON"


class ClientStatus(StrEnum):
    PROSPECT = "PROSPECT"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    CLOSED = "CLOSED"


class PaymentType(StrEnum):
    PRINT = "PRINT"
    EMAIL = "EMAIL"
    DIRECT_DEBIT = "DIRECT_DEBIT"
    E_PRINT = "E_PRINT"
    E_INVOICE = "E_INVOICE"
    EDI = "EDI"
    KIVRA = "KIVRA"


class PartnerType(StrEnum):
    CITY_COMMUNITY = "CITY_COMMUNITY"
    CONSTRUCTION = "CONSTRUCTION"
    INDUSTRY = "INDUSTRY"
    OTHER = "OTHER"
    PRIVATE = "PRIVATE"


class Creditworthiness(StrEnum):
    GOOD = "GOOD"
    MIDDLE = "MIDDLE"
    SUBSTANDARD = "SUBSTANDARD"
    BAD = "BAD"


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNKNOWN = "UNKNOWN"


class OrderStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    REVOKED = "REVOKED"
