"""The TimeWave rules and mapping functions, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from rolodex.core.client_types.models import ClientType
from rolodex.core.clients.models import Client
from rolodex.core.errors import Invalid, NotFound
from rolodex.dialects.timewave import errors, mapping
from rolodex.dialects.timewave.schemas import (
    EXAMPLE_CREATE,
    TimeWaveClientIn,
    TimeWaveClientUpdate,
)

from .table import ROW_IDS, ROWS, Row


def client(**overrides: Any) -> Client:
    values: dict[str, Any] = {
        "id": uuid4(),
        "organization_id": uuid4(),
        "number": 4,
        "kind": "COMPANY",
        "name": "Andersson Bygg AB",
        "company_name": "Andersson Bygg AB",
        "status": "ACTIVE",
        "meta": {},
        "references": [],
        "created_at": datetime(2024, 1, 1, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
        "deleted_at": None,
    }
    return Client(**(values | overrides))


def refusal(body: dict[str, Any], current: Client | None = None) -> dict[str, str] | None:
    """The 422's `errors` (one message per field) for a POST (or a PUT of `current`)."""
    try:
        if current is None:
            mapping.to_client_create(TimeWaveClientIn.model_validate(body))
        else:
            mapping.to_client_update(TimeWaveClientUpdate.model_validate(body), current)
    except ValidationError as exc:
        issues = errors.request_issues(exc.errors())
        assert issues is not None
        return {issue.field: issue.message for issue in issues}
    except Invalid as exc:
        return {issue.field: issue.message for issue in errors.domain_issues(exc)}
    return None


def body_for(row: Row, value: Any) -> dict[str, Any]:
    return {"title": "T", **row.extra, row.field: value}


class TestTheTable:
    @pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
    def test_valid_values_reach_their_native_home(self, row: Row) -> None:
        for valid in row.valid:
            body = body_for(row, valid.sent)
            native = mapping.to_client_create(TimeWaveClientIn.model_validate(body))
            dumped = native.model_dump(by_alias=True)
            where = dumped
            for part in valid.native:
                where = where[part]
            assert where == valid.stored, (row.field, valid.sent)
            assert refusal(body, client()) is None, (row.field, valid.sent)

    @pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
    def test_violating_values_refused_naming_the_field(self, row: Row) -> None:
        for value in [*row.violating, *row.unholdable]:
            for current in (None, client()):
                found = refusal(body_for(row, value), current)
                assert found is not None and row.field in found, (row.field, value, found)
                assert found[row.field].startswith("The "), found

    def test_messages_are_laravels(self) -> None:
        found = refusal(
            {
                "title": "T" * 256,
                "email": "x",
                "payment_type": 5,
                "hourpot": -1,
                "has_hourpot": "yes",
                "employee_id": "x",
                "www": "nope",
            }
        )
        assert found == {
            "title": "The title field must not be greater than 255 characters.",
            "email": "The email field must be a valid email address.",
            "payment_type": "The selected payment type is invalid.",
            "hourpot": "The hourpot field must be at least 0.",
            "has_hourpot": "The has hourpot field must be true or false.",
            "employee_id": "The employee id field must be an integer.",
            "www": "The www field must be a valid URL.",
        }

    def test_strings_trimmed_and_empty_is_null(self) -> None:
        native = mapping.to_client_create(
            TimeWaveClientIn.model_validate({"title": "  Acme  ", "phone": "   ", "email": ""})
        )
        assert native.name == "Acme" and native.phone is None and native.email is None

    def test_unknown_field_refused_read_only_ignored(self) -> None:
        assert refusal({"title": "A", "colour": "red"}) == {
            "colour": "The colour field is not allowed."
        }
        sent_back = {"title": "A", "id": 9, "clientnbr": 9, "deleted": False, "bank": None}
        sent_back |= {"addresses": [], "contacts": [], "clienttype": {"id": 1, "name": "X"}}
        native = mapping.to_client_create(TimeWaveClientIn.model_validate(sent_back))
        assert set(native.given()) == {"name", "kind"}


class TestNames:
    @pytest.mark.parametrize(
        ("body", "name", "kind"),
        [
            ({"title": "Acme", "first_name": "Karin"}, "Acme", "PERSON"),
            ({"company_name": "Acme AB", "first_name": "Karin"}, "Acme AB", "COMPANY"),
            ({"first_name": "Karin", "last_name": "Andersson"}, "Karin Andersson", "PERSON"),
            ({"last_name": "Andersson"}, "Andersson", "PERSON"),
            ({"title": "Acme"}, "Acme", "COMPANY"),
        ],
    )
    def test_native_name_on_create(self, body: dict[str, Any], name: str, kind: str) -> None:
        native = mapping.to_client_create(TimeWaveClientIn.model_validate(body))
        assert (native.name, native.kind) == (name, kind)

    @pytest.mark.parametrize("body", [{}, {"phone": "1"}, {"title": None}, {"title": " "}])
    def test_one_name_required(self, body: dict[str, Any]) -> None:
        assert refusal(body) == {"title": mapping.NAME_REQUIRED.replace(":attribute", "title")}

    def test_derived_name_follows_on_update(self) -> None:
        current = client()
        native = mapping.to_client_update(TimeWaveClientUpdate(company_name="Nya Bygg AB"), current)
        assert native.given() == {
            "name": "Nya Bygg AB",
            "company_name": "Nya Bygg AB",
            "kind": "COMPANY",
        }

    def test_title_stays_when_it_was_given(self) -> None:
        current = client(name="Andersson")
        native = mapping.to_client_update(TimeWaveClientUpdate(company_name="Nya AB"), current)
        assert "name" not in native.given()

    def test_cleared_title_falls_back_or_fails(self) -> None:
        native = mapping.to_client_update(TimeWaveClientUpdate(title=None), client(name="X"))
        assert native.name == "Andersson Bygg AB"
        lone = client(name="X", company_name=None)
        assert set(refusal({"title": None}, lone) or {}) == {"title"}
        assert set(refusal({"company_name": None}, client()) or {}) == {"title"}


class TestCrossFieldRules:
    def test_secondary_email_required_for_payment_type_2(self) -> None:
        message = "The secondary email field is required when payment type is 2."
        assert refusal({"title": "A", "payment_type": 2}) == {"secondary_email": message}
        assert refusal({"title": "A", "payment_type": "2", "secondary_email": ""}) == {
            "secondary_email": message
        }
        assert (
            refusal({"title": "A", "payment_type": 2, "secondary_email": "b@example.com"}) is None
        )
        # On PUT the stored values count too.
        assert refusal({"payment_type": 2}, client()) == {"secondary_email": message}
        billed = client(billing_email="b@example.com")
        assert refusal({"payment_type": 2}, billed) is None
        emailed = client(payment_type="EMAIL", billing_email="b@example.com")
        assert refusal({"secondary_email": None}, emailed) == {"secondary_email": message}
        assert refusal({"secondary_email": None, "payment_type": 1}, emailed) is None

    def test_references_on_post(self) -> None:
        ok = {"title": "A", "references": [{"name": "PO", "description": "d" * 255}]}
        native = mapping.to_client_create(TimeWaveClientIn.model_validate(ok))
        assert native.references is not None and native.references[0].id is None
        assert refusal({"title": "A", "references": [{"description": "d"}]}) == {
            "references.0.name": "The references.0.name field is required."
        }
        assert refusal({"title": "A", "references": [{"id": 1, "name": "PO"}]}) == {
            "references.0.id": "The references.0.id field is prohibited."
        }
        assert set(refusal({"title": "A", "references": [{"name": "n" * 65}]}) or {}) == {
            "references.0.name"
        }
        assert set(
            refusal({"title": "A", "references": [{"name": "n", "description": "d" * 256}]}) or {}
        ) == {"references.0.description"}
        assert refusal({"title": "A", "references": "PO"}) == {
            "references": "The references field must be an array."
        }

    def test_references_on_put(self) -> None:
        current = client()
        assert refusal({"references": [{"name": "PO"}]}, current) == {
            "references.0.id": "The references.0.id field is required."
        }
        assert set(refusal({"references": [{"id": 1}]}, current) or {}) == {"references.0.name"}
        assert set(refusal({"references": [{"id": "x", "name": "A"}]}, current) or {}) == {
            "references.0.id"
        }
        two = [{"id": 1, "name": "A"}, {"id": 1, "name": "B"}]
        assert set(refusal({"references": two}, current) or {}) == {"references.1.id"}
        native = mapping.to_client_update(
            TimeWaveClientUpdate.model_validate({"references": [{"id": 3, "name": "PO"}]}),
            current,
        )
        assert native.references is not None
        assert native.references[0].model_dump() == {"id": 3, "name": "PO", "description": None}


class TestAddresses:
    def test_objects_become_flagged_addresses(self) -> None:
        native = mapping.to_client_create(TimeWaveClientIn.model_validate(EXAMPLE_CREATE))
        assert native.addresses is not None
        flags = [(a.is_delivery, a.is_invoice, a.metadata) for a in native.addresses]
        assert flags == [
            (False, False, {"timewave.address_type": "address", "timewave.workarea_id": 2}),
            (True, False, {"timewave.address_type": "delivery_address"}),
            (False, True, {"timewave.address_type": "invoice_address"}),
        ]
        first = native.addresses[0]
        assert (first.street_and_number, first.postal_code, first.city) == (
            "Storgatan 12",
            "111 22",
            "Stockholm",
        )

    @pytest.mark.parametrize(
        ("value", "field"),
        [
            ("Storgatan 12", "address"),
            ({"city": 5}, "address.city"),
            ({"workarea_id": "x"}, "address.workarea_id"),
            ({"colour": "red"}, "address.colour"),
            ({"postal_code": "1" * 33}, "address.postal_code"),
            ({"port_code": "1" * 501}, "address.port_code"),
        ],
    )
    def test_bad_objects(self, value: Any, field: str) -> None:
        assert set(refusal({"title": "A", "address": value}) or {}) == {field}

    def test_slots_on_put(self) -> None:
        body = TimeWaveClientUpdate.model_validate(
            {"delivery_address": {"city": "Malmö", "port_code": "1234"}, "invoice_address": None}
        )
        slots = mapping.to_address_slots(body)
        assert set(slots) == {"delivery_address", "invoice_address"}
        delivery = slots["delivery_address"]
        assert delivery is not None and delivery.is_delivery and not delivery.is_invoice
        assert delivery.metadata == {
            "timewave.address_type": "delivery_address",
            "timewave.port_code": "1234",
        }
        assert slots["invoice_address"] is None


class TestAnswers:
    def test_every_field_in_the_documents_order(self) -> None:
        kind = ClientType(id=uuid4(), number=3, name="Private")
        found = client(
            status="CLOSED",
            payment_type="E_INVOICE",
            payment_terms=30,
            additional_information="note",
            references=[{"id": 1, "name": "PO", "description": None}],
            meta={
                "timewave.number": "1001",
                "timewave.hourpot": 2.5,
                "timewave.has_hourpot": True,
                "timewave.bank_id": 5,
                "timewave.bank.name": "Nordea",
                "timewave.employee_id": "12",
                "timewave.invoice_fee_id": "not a number",
                "other": "kept natively, not shown",
            },
        )
        contacts = [
            {
                "number": 8,
                "firstName": "Karin",
                "lastName": "Andersson",
                "jobTitle": "CEO",
                "metadata": {"timewave.taxreduction_percentage": 50},
            }
        ]
        addresses = [
            {
                "number": 2,
                "street": "Storgatan",
                "city": "Lund",
                "isInvoice": True,
                "metadata": {"timewave.workarea_id": 4, "timewave.port_code": 1234},
            }
        ]
        answer = mapping.to_timewave_client(found, kind, addresses=addresses, contacts=contacts)
        assert list(answer)[:7] == [
            "id",
            "clienttype",
            "clienttype_id",
            "status",
            "title",
            "number",
            "deleted",
        ]
        assert (answer["id"], answer["clientnbr"], answer["deleted"]) == (4, 4, False)
        assert answer["status"] == "deleted"  # CLOSED; not a deleted record
        assert answer["clienttype"] == {"id": 3, "name": "Private"}
        assert (answer["paymenttype"], answer["paymentterms"]) == (7, "30")
        assert (answer["number"], answer["hourpot"], answer["has_hourpot"]) == ("1001", 2.5, True)
        assert answer["bank"] == {"id": 5, "bid": None, "enar": None, "name": "Nordea"}
        assert (answer["employee_id"], answer["invoice_fee_id"]) == (12, None)
        assert answer["comment"] == "note"
        assert answer["contacts"][0]["taxreduction_percentage"] == 50
        assert answer["contacts"][0]["clienttype"] == {"id": 3, "name": "Private"}
        assert answer["contacts"][0]["title"] == "CEO"
        assert answer["addresses"][0] | {"workarea": None} == {
            "id": 2,
            "client_id": 4,
            "address": "Storgatan",
            "co_address": None,
            "city": "Lund",
            "deleted": False,
            "is_delivery": False,
            "is_invoice": True,
            "postal_code": None,
            "port_code": "1234",
            "alarm_code": None,
            "housing_association": None,
            "workarea": None,
            "address_type": None,
        }
        assert answer["addresses"][0]["workarea"] == {"id": 4, "name": None}

    def test_deleted_flag(self) -> None:
        gone = client(deleted_at=datetime(2024, 2, 1, tzinfo=UTC))
        answer = mapping.to_timewave_client(gone, None)
        assert answer["deleted"] is True and answer["status"] == "active"
        assert answer["clienttype"] is None and answer["bank"] is None


def test_path_ids() -> None:
    assert mapping.client_number("12") == 12
    for raw in ("abc", "-1", "1.5", "9" * 13):
        with pytest.raises(NotFound):
            mapping.client_number(raw)


def test_native_field_names_in_timewave_terms() -> None:
    assert mapping.timewave_field("billingEmail") == "secondary_email"
    assert mapping.timewave_field("name") == "title"
    assert mapping.timewave_field("references[1].name") == "references.1.name"
    assert mapping.timewave_field("email") == "email"
