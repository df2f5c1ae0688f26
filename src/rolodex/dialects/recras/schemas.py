"""Recras' wire format: the customers (klanten) document's Dutch field names and types.

Types and the document's own rules (`contactpersonen` required with exactly one `hoofdcontact`,
`geslacht` man/vrouw/onbekend, typed `extra_fields`) are checked here; the native rules (email
syntax, phone characters, lengths, ISO 3166-2 province codes, http(s) websites) apply when
mapping.py builds the core schemas from these. Every failure is a 406 (see errors.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rolodex.core.validation import TextRule

# The document's examples, without its `//` translations (and without the trailing comma after
# the extra field's value, which is not JSON).
EXAMPLE_CREATE: dict[str, Any] = {
    "naam": "Voorbeeldgroep",
    "adres": "Teststraat 1",
    "postcode": "1337 XD",
    "plaats": "Teststad",
    "provinciecode": "NL-NH",
    "website": "http://www.example.com",
    "bedrijf_id": 1,
    "soort_klant": "Familie",
    "afdeling": None,
    "factuur_adressering": None,
    "contactpersonen": [
        {"id": 15, "hoofdcontact": False},
        {
            "voornaam": "Test",
            "achternaam": "Contactpersoon",
            "geslacht": "man",
            "aanhef": None,
            "adres": "Teststraat 1",
            "postcode": "1337 XD",
            "plaats": "Teststad",
            "telefoon1": "0123456789",
            "email1": "test@example.com",
            "hoofdcontact": True,
        },
    ],
    "extra_fields": [{"name": "Shoe size", "type": "number", "value": 42}],
}
EXAMPLE_KLANT: dict[str, Any] = {
    "id": 83,
    "type": "klant",
    "displaynaam": "Voorbeeldgroep",
    "naam": "Voorbeeldgroep",
    "adres": "Teststraat 1",
    "postcode": "1337 XD",
    "plaats": "Teststad",
    "provinciecode": "NL-NH",
    "website": "http://www.example.com",
    "bedrijf_id": 1,
    "soort_klant": "Familie",
    "afdeling": None,
    "factuur_adressering": None,
}
EXAMPLE_CONTACT: dict[str, Any] = {
    "id": 15,
    "voornaam": "Janny",
    "achternaam": "Jansen",
    "geslacht": "man",
    "aanhef": None,
    "adres": "Testraat 23",
    "postcode": "8291KS",
    "plaats": "Assen",
    "telefoon1": None,
    "telefoon2": None,
    "email1": None,
    "email2": None,
    "hoofdcontact": True,
}
EXAMPLE_KLANT_17: dict[str, Any] = {
    "id": 17,
    "type": "klant",
    "displaynaam": "Gemeente Appingedam",
    "naam": "Gemeente Appingedam",
    "adres": "Testraat 23",
    "postcode": "8291KS",
    "plaats": "Assen",
    "provinciecode": "NL-DR",
    "website": "",
    "bedrijf_id": 2,
    "soort_klant": "",
    "afdeling": "",
    "factuur_adressering": "",
}
EXAMPLE_KLANT_DETAIL: dict[str, Any] = {**EXAMPLE_KLANT_17, "contactpersonen": [EXAMPLE_CONTACT]}

ExtraFieldType = Literal["text", "number", "date", "singlechoice", "multiplechoice"]
Genders = Literal["man", "vrouw", "onbekend"]
Short = Annotated[str, TextRule(255)]
Label = Annotated[str, TextRule(255, min_length=1)]

_READ_ONLY: dict[str, Any] = {"readOnly": True}
_IGNORED = "read-only: accepted (so a fetched record can be sent back) and ignored"


def _ignored() -> Any:
    return Field(default=None, exclude=True, description=_IGNORED, json_schema_extra=_READ_ONLY)


class RecrasInput(BaseModel):
    """A Recras write body: the document's names as they are; unknown fields are a 406."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def given(self) -> dict[str, Any]:
        """The fields the caller actually sent, by name."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class RecrasContactIn(RecrasInput):
    """One of `contactpersonen`: an existing contact person by `id`, or a new one."""

    id: StrictInt | None = Field(
        default=None,
        description="links an existing contact person; other fields sent with it update it",
        examples=[15],
    )
    voornaam: str | None = Field(default=None, description="first name", examples=["Test"])
    achternaam: str | None = Field(
        default=None, description="last name", examples=["Contactpersoon"]
    )
    geslacht: Genders | None = Field(default=None, description="man, vrouw or onbekend")
    aanhef: str | None = Field(default=None, description="salutation")
    adres: str | None = Field(default=None, description="street and number")
    postcode: str | None = Field(default=None, description="postal code", examples=["1337 XD"])
    plaats: str | None = Field(default=None, description="city", examples=["Teststad"])
    telefoon1: str | None = Field(default=None, examples=["0123456789"])
    telefoon2: str | None = None
    email1: str | None = Field(default=None, examples=["test@example.com"])
    email2: str | None = None
    hoofdcontact: StrictBool = Field(
        description="**required**: whether this is the customer's one main contact person"
    )

    @model_validator(mode="after")
    def _new_has_a_name(self) -> RecrasContactIn:
        if self.id is None and not (self.voornaam or self.achternaam):
            raise ValueError("a new contact person needs a voornaam or an achternaam")
        return self


class RecrasExtraField(RecrasInput):
    """One of `extra_fields`: a custom field by its label or key, defined on first use."""

    name: Label = Field(description="the custom field's label or key", examples=["Shoe size"])
    type: ExtraFieldType = Field(
        description="text, number (an integer), date (ISO 8601), singlechoice or "
        "multiplechoice (an array of strings)"
    )
    value: Any = Field(
        default=None, description="of the type named; null removes the value", examples=[42]
    )

    @field_validator("value", mode="after")
    @classmethod
    def _typed(cls, value: Any, info: ValidationInfo) -> Any:
        kind = info.data.get("type")
        if value is None or kind is None:
            return value
        if kind == "number" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("must be an integer for type number")
        if kind in ("text", "singlechoice") and not isinstance(value, str):
            raise ValueError(f"must be a string for type {kind}")
        if kind == "date" and not (isinstance(value, str) and _iso_date(value)):
            raise ValueError("must be an ISO 8601 date (YYYY-MM-DD) for type date")
        if kind == "multiplechoice" and not (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        ):
            raise ValueError("must be an array of strings for type multiplechoice")
        return value


def _iso_date(value: str) -> bool:
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


class RecrasKlantUpdate(RecrasInput):
    """A `PUT` body: the fields given change, absent ones stay; a given `contactpersonen` is the
    customer's complete list afterwards."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"plaats": "Assen"}]})

    naam: str | None = Field(default=None, description="name (1..255 characters)")
    adres: str | None = Field(default=None, description="address: street and number, one line")
    postcode: str | None = Field(default=None, description="postal code")
    plaats: str | None = Field(default=None, description="city")
    provinciecode: str | None = Field(
        default=None, description="ISO 3166-2 province code", examples=["NL-NH"]
    )
    website: str | None = Field(
        default=None, description='an http(s) URL, or "" for none', examples=["http://example.com"]
    )
    bedrijf_id: Annotated[int, Field(strict=True, ge=1)] | None = Field(
        default=None, description="the company (bedrijf) the customer belongs to; default 1"
    )
    soort_klant: Short | None = Field(
        default=None,
        description='customer type, by name; created when the organization has none; "" = none',
        examples=["Familie"],
    )
    afdeling: str | None = Field(default=None, description="department")
    factuur_adressering: str | None = Field(
        default=None, description="the address on invoices, when not the customer's own"
    )
    contactpersonen: list[RecrasContactIn] | None = Field(
        default=None,
        max_length=100,
        description="one or more contact persons, exactly one with hoofdcontact true",
    )
    extra_fields: list[RecrasExtraField] | None = Field(
        default=None, max_length=200, description="custom fields"
    )

    id: Any = _ignored()
    type: Any = _ignored()
    displaynaam: Any = _ignored()

    @field_validator("contactpersonen", mode="after")
    @classmethod
    def _one_main(cls, value: list[RecrasContactIn] | None) -> list[RecrasContactIn] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("at least one contact person is required")
        mains = sum(1 for item in value if item.hoofdcontact)
        if mains != 1:
            raise ValueError(f"exactly one contact person must have hoofdcontact true, not {mains}")
        ids = [item.id for item in value if item.id is not None]
        if len(set(ids)) != len(ids):
            raise ValueError("a contact person is listed twice")
        return value


class RecrasKlantIn(RecrasKlantUpdate):
    """A new customer: `naam` and `contactpersonen` are required."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CREATE]})

    naam: str = Field(description="name (1..255 characters)", examples=["Voorbeeldgroep"])
    contactpersonen: list[RecrasContactIn] = Field(
        max_length=100,
        description="**required**: one or more contact persons, new or existing (by id), "
        "exactly one with hoofdcontact true",
    )


class RecrasOutput(BaseModel):
    """A Recras answer: the document's names as they are."""


class RecrasContact(RecrasOutput):
    """A contact person as Recras shows it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CONTACT]})

    id: int = Field(description="the contact person's number in the organization")
    voornaam: str | None
    achternaam: str | None
    geslacht: Genders | None
    aanhef: str | None
    adres: str | None
    postcode: str | None
    plaats: str | None
    telefoon1: str | None
    telefoon2: str | None
    email1: str | None
    email2: str | None
    hoofdcontact: bool


class RecrasKlant(RecrasOutput):
    """A customer as Recras lists it."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_KLANT]})

    id: int = Field(description="the customer's number in the organization")
    type: Literal["klant"]
    displaynaam: str
    naam: str
    adres: str | None
    postcode: str | None
    plaats: str | None
    provinciecode: str | None
    website: str | None
    bedrijf_id: int
    soort_klant: str | None
    afdeling: str | None
    factuur_adressering: str | None


class RecrasKlantDetail(RecrasKlant):
    """One customer, with its contact persons, the main one first."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_KLANT_DETAIL]})

    contactpersonen: list[RecrasContact]
