"""The Recras mapping functions and wire schemas, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from rolodex.core.clients.models import Client
from rolodex.core.custom_fields.models import CustomField
from rolodex.core.errors import Invalid
from rolodex.dialects.recras import mapping
from rolodex.dialects.recras.schemas import (
    EXAMPLE_CREATE,
    EXAMPLE_KLANT,
    EXAMPLE_KLANT_17,
    RecrasKlantIn,
    RecrasKlantUpdate,
)

GOLDEN = json.loads((Path(__file__).parent / "examples.json").read_text())
EXAMPLES = {step["title"]: step for step in GOLDEN["setup"] + GOLDEN["examples"]}
JANNY = UUID("01a20000-0000-7000-8000-000000000015")
FAMILIE = UUID("01a20000-0000-7000-8000-0000000000f1")


def shoe_size() -> CustomField:
    return CustomField(key="shoe_size", label="Shoe size", type="number", options=[])


def refs(**overrides: Any) -> mapping.References:
    values: dict[str, Any] = {
        "client_type_id": FAMILIE,
        "contact_ids": {15: JANNY},
        "custom_fields": [shoe_size()],
    }
    return mapping.References(**(values | overrides))


def client(**overrides: Any) -> Client:
    values: dict[str, Any] = {
        "id": uuid4(),
        "organization_id": uuid4(),
        "number": 83,
        "kind": "COMPANY",
        "name": "Voorbeeldgroep",
        "street_and_number": "Teststraat 1",
        "postal_code": "1337 XD",
        "city": "Teststad",
        "province_code": "NL-NH",
        "website": "http://www.example.com",
        "department": None,
        "invoice_addressing": None,
        "meta": {"recras.bedrijf_id": 1},
        "custom_fields": {},
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    return Client(**(values | overrides))


def contact(**overrides: Any) -> dict[str, Any]:
    """A contact person as contacts.service.to_read shows it (the fields the mapping reads)."""
    values: dict[str, Any] = {
        "number": 15,
        "firstName": "Janny",
        "lastName": "Jansen",
        "gender": "MALE",
        "salutation": None,
        "street": "Testraat 23",
        "postalCode": "8291KS",
        "city": "Assen",
        "phone": None,
        "phone2": None,
        "email": None,
        "email2": None,
        "isMain": True,
    }
    return values | overrides


class TestToClientCreate:
    def test_documented_body(self) -> None:
        native = mapping.to_client_create(RecrasKlantIn.model_validate(EXAMPLE_CREATE), refs())
        assert native.name == "Voorbeeldgroep" and native.street_and_number == "Teststraat 1"
        assert (native.postal_code, native.city) == ("1337 XD", "Teststad")
        assert (native.province_code, native.website) == ("NL-NH", "http://www.example.com")
        assert native.client_type_id == FAMILIE and native.department is None
        assert native.metadata == {"recras.bedrijf_id": 1}
        assert native.custom_fields == {"shoe_size": 42}
        janny, test = native.contact_persons or []
        assert (janny.id, janny.is_main, janny.first_name) == (JANNY, False, None)
        assert janny.given() == {"id": JANNY, "is_main": False}
        assert (test.first_name, test.last_name, test.gender) == ("Test", "Contactpersoon", "MALE")
        assert (test.street, test.postal_code, test.city) == ("Teststraat 1", "1337 XD", "Teststad")
        assert (test.phone, test.email, test.is_main) == ("0123456789", "test@example.com", True)
        assert test.salutation is None and "salutation" in test.given()

    def test_empty_strings_and_defaults(self) -> None:
        body = RecrasKlantIn.model_validate(
            EXAMPLES["Customer 17 with contact person 15"]["request"]["body"]
        )
        native = mapping.to_client_create(body, refs(client_type_id=None))
        assert native.website is None and native.client_type_id is None
        assert (native.department, native.invoice_addressing) == ("", "")
        assert native.metadata == {
            "recras.bedrijf_id": 2,
            "recras.website": "",
            "recras.soort_klant": "",
        }
        body = RecrasKlantIn.model_validate(EXAMPLES["Customer 62"]["request"]["body"])
        native = mapping.to_client_create(body, refs())
        assert native.metadata == {"recras.bedrijf_id": 1} and native.client_type_id is None
        assert native.custom_fields == {}

    def test_unknown_contact_id(self) -> None:
        body = RecrasKlantIn.model_validate(EXAMPLE_CREATE)
        with pytest.raises(Invalid) as caught:
            mapping.to_client_create(body, refs(contact_ids={}))
        assert [d.field for d in caught.value.details] == ["contactpersonen[0].id"]

    def test_native_rules_named_in_recras_terms(self) -> None:
        body = RecrasKlantIn.model_validate(
            {
                "naam": "A",
                "adres": "x" * 256,
                "provinciecode": "NL-XX",
                "website": "geen",
                "contactpersonen": [
                    {"voornaam": "A", "email1": "nee", "telefoon1": "bel", "hoofdcontact": True}
                ],
            }
        )
        with pytest.raises(Invalid) as caught:
            mapping.to_client_create(body, refs())
        fields = {d.field for d in caught.value.details}
        assert fields == {
            "adres",
            "provinciecode",
            "website",
            "contactpersonen[0].email1",
            "contactpersonen[0].telefoon1",
        }
        assert "streetAndNumber" not in caught.value.message

    def test_extra_field_value_checked_against_its_definition(self) -> None:
        choice = CustomField(key="kleur", label="Kleur", type="singlechoice", options=["rood"])
        body = RecrasKlantIn.model_validate(
            {
                "naam": "A",
                "contactpersonen": [{"voornaam": "A", "hoofdcontact": True}],
                "extra_fields": [{"name": "Kleur", "type": "singlechoice", "value": "blauw"}],
            }
        )
        with pytest.raises(Invalid) as caught:
            mapping.to_client_create(body, refs(custom_fields=[choice]))
        assert [d.field for d in caught.value.details] == ["extra_fields[0].value"]


class TestToClientUpdate:
    def test_only_fields_sent(self) -> None:
        body = RecrasKlantUpdate.model_validate({"plaats": "Assen", "afdeling": None})
        native = mapping.to_client_update(body, refs(), client())
        assert native.given() == {"city": "Assen", "department": None}

    def test_metadata_kept_and_markers(self) -> None:
        current = client(meta={"erp": "x", "recras.bedrijf_id": 4, "recras.website": ""})
        body = RecrasKlantUpdate.model_validate(
            {"website": "https://example.com", "soort_klant": "", "bedrijf_id": None}
        )
        native = mapping.to_client_update(body, refs(), current)
        assert native.website == "https://example.com" and native.client_type_id is None
        assert native.metadata == {"erp": "x", "recras.bedrijf_id": 1, "recras.soort_klant": ""}
        assert current.meta["recras.bedrijf_id"] == 4  # the current record is left alone

    def test_extra_field_null_removes(self) -> None:
        body = RecrasKlantUpdate.model_validate(
            {"extra_fields": [{"name": "Shoe size", "type": "number", "value": None}]}
        )
        assert mapping.to_client_update(body, refs(), client()).custom_fields == {"shoe_size": None}

    def test_contact_list(self) -> None:
        body = RecrasKlantUpdate.model_validate(
            {"contactpersonen": [{"id": 15, "hoofdcontact": True, "geslacht": "vrouw"}]}
        )
        (item,) = mapping.to_contact_list(body, refs()) or []
        assert (item.id, item.is_main, item.gender) == (JANNY, True, "FEMALE")
        assert mapping.to_contact_list(RecrasKlantUpdate(), refs()) is None
        bad = RecrasKlantUpdate.model_validate(
            {"contactpersonen": [{"voornaam": "A", "email2": "x", "hoofdcontact": True}]}
        )
        with pytest.raises(Invalid) as caught:
            mapping.to_contact_list(bad, refs())
        assert [d.field for d in caught.value.details] == ["contactpersonen[0].email2"]


class TestToRecras:
    def test_documented_answers(self) -> None:
        assert mapping.to_recras_klant(client(), "Familie") == EXAMPLE_KLANT
        seventeen = client(
            number=17,
            name="Gemeente Appingedam",
            street_and_number="Testraat 23",
            postal_code="8291KS",
            city="Assen",
            province_code="NL-DR",
            website=None,
            department="",
            invoice_addressing="",
            meta={"recras.bedrijf_id": 2, "recras.website": "", "recras.soort_klant": ""},
        )
        assert mapping.to_recras_klant(seventeen, None) == EXAMPLE_KLANT_17
        detail = mapping.to_recras_detail(seventeen, None, [contact()])
        documented = EXAMPLES["Read: one (the document's GET /api2/contacten/17)"]["response"]
        assert detail == documented

    def test_a_real_value_wins_over_a_marker(self) -> None:
        answer = mapping.to_recras_klant(
            client(meta={"recras.website": "", "recras.soort_klant": ""}), "Familie"
        )
        assert (answer["website"], answer["soort_klant"]) == ("http://www.example.com", "Familie")

    @pytest.mark.parametrize(
        ("meta", "expected"),
        [
            ({}, 1),
            ({"recras.bedrijf_id": 7}, 7),
            ({"recras.bedrijf_id": "3"}, 3),
            ({"recras.bedrijf_id": "x"}, 1),
            ({"recras.bedrijf_id": True}, 1),
            ({"recras.bedrijf_id": -2}, 1),
            ({"recras.bedrijf_id": 1.5}, 1),
        ],
    )
    def test_bedrijf_id(self, meta: dict[str, Any], expected: int) -> None:
        assert mapping.bedrijf_id(meta) == expected

    def test_street_when_no_street_and_number(self) -> None:
        answer = mapping.to_recras_klant(client(street_and_number=None, street="Kerkstraat"), None)
        assert answer["adres"] == "Kerkstraat"

    @pytest.mark.parametrize(
        ("native", "recras"), [("FEMALE", "vrouw"), ("UNKNOWN", "onbekend"), (None, None)]
    )
    def test_gender(self, native: str | None, recras: str | None) -> None:
        shown = mapping.to_recras_contact(contact(gender=native, isMain=False))
        assert (shown["geslacht"], shown["hoofdcontact"]) == (recras, False)


@pytest.mark.parametrize(
    ("native", "recras"),
    [
        ("name", "naam"),
        ("streetAndNumber", "adres"),
        ("provinceCode", "provinciecode"),
        ("clientTypeId", "soort_klant"),
        ("customFields.shoe_size", "extra_fields.shoe_size"),
        ("contactPersons", "contactpersonen"),
        ("contactPersons[2]", "contactpersonen[2]"),
        ("contactPersons[1].email", "contactpersonen[1].email1"),
        ("contactPersons[0].name", "contactpersonen[0].achternaam"),
        ("contactPersons[0].isMain", "contactpersonen[0].hoofdcontact"),
        ("contactpersonen[0].email1", "contactpersonen[0].email1"),
        ("extra_fields[3].type", "extra_fields[3].type"),
        ("body", "body"),
        ("id>", "id>"),
    ],
)
def test_recras_field(native: str, recras: str) -> None:
    assert mapping.recras_field(native) == recras


@pytest.mark.parametrize(
    ("smallest", "pairs"),
    [
        (None, [("sort", "-number")]),
        (62, [("sort", "-number"), ("number[gte]", "62")]),
        (-5, [("sort", "-number"), ("number[gte]", "0")]),
        (2**40, [("sort", "-number"), ("number[gt]", str(2**31 - 1))]),
    ],
)
def test_list_params(smallest: int | None, pairs: list[tuple[str, str]]) -> None:
    assert mapping.to_list_params(smallest) == pairs


class TestSchemas:
    @pytest.mark.parametrize(
        "contacts",
        [
            [],
            [{"voornaam": "A", "hoofdcontact": False}],
            [{"voornaam": "A", "hoofdcontact": True}, {"voornaam": "B", "hoofdcontact": True}],
            [{"id": 1, "hoofdcontact": True}, {"id": 1, "hoofdcontact": False}],
        ],
    )
    def test_contactpersonen_need_exactly_one_main(self, contacts: list[dict[str, Any]]) -> None:
        with pytest.raises(ValidationError) as caught:
            RecrasKlantIn.model_validate({"naam": "A", "contactpersonen": contacts})
        assert caught.value.errors()[0]["loc"] == ("contactpersonen",)

    def test_read_only_fields_ignored(self) -> None:
        body = RecrasKlantIn.model_validate(
            {**EXAMPLE_CREATE, "id": 83, "type": "klant", "displaynaam": "X"}
        )
        assert {"id", "type", "displaynaam"} <= body.given().keys()
        assert "id" not in body.model_dump()

    @pytest.mark.parametrize(
        ("kind", "value"),
        [
            ("text", "x"),
            ("number", -3),
            ("date", "2024-02-29"),
            ("date", "2024-02-29T10:00:00Z"),
            ("singlechoice", "a"),
            ("multiplechoice", ["a", "b"]),
            ("multiplechoice", []),
            ("number", None),
        ],
    )
    def test_extra_field_types(self, kind: str, value: Any) -> None:
        RecrasKlantUpdate.model_validate(
            {"extra_fields": [{"name": "F", "type": kind, "value": value}]}
        )

    @pytest.mark.parametrize(
        ("kind", "value"),
        [
            ("text", 1),
            ("number", 4.2),
            ("number", True),
            ("number", "4"),
            ("date", "2024-02-30"),
            ("date", 20240101),
            ("singlechoice", ["a"]),
            ("multiplechoice", "a"),
            ("multiplechoice", [1]),
        ],
    )
    def test_extra_field_wrong_value(self, kind: str, value: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            RecrasKlantUpdate.model_validate(
                {"extra_fields": [{"name": "F", "type": kind, "value": value}]}
            )
        assert caught.value.errors()[0]["loc"] == ("extra_fields", 0, "value")
