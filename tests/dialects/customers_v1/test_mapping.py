"""The customers & orders v1.0 mapping functions, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from rolodex.core.clients.models import Client
from rolodex.core.errors import Invalid
from rolodex.core.listing import Page
from rolodex.core.orders.models import Order
from rolodex.dialects.customers_v1 import mapping
from rolodex.dialects.customers_v1.schemas import (
    CustomersV1ListParams,
    CustomerV1In,
    CustomerV1OrdersParams,
)

GOLDEN = json.loads((Path(__file__).parent / "examples.json").read_text())
EXAMPLES = {example["title"]: example for example in GOLDEN["examples"]}
CREATE = EXAMPLES["Create a new customer"]["request"]["body"]
CHANGE = EXAMPLES["Change customer"]["request"]["body"]


def client(**overrides: Any) -> Client:
    values: dict[str, Any] = {
        "id": uuid4(),
        "organization_id": uuid4(),
        "number": 4,
        "kind": "PERSON",
        "name": "Peter",
        "first_name": "Peter",
        "last_name": None,
        "company_name": None,
        "email": "mail@gmail.com",
        "phone": "8",
        "additional_information": None,
        "status": "ACTIVE",
        "archived": False,
        "archived_at": None,
        "external_id": None,
        "meta": {},
    }
    return Client(**(values | overrides))


def order(**overrides: Any) -> Order:
    values: dict[str, Any] = {
        "id": uuid4(),
        "number": 10016,
        "status": "DRAFT",
        "type": 0,
        "description": "With client",
        "quantity": 2,
        "date": datetime.fromtimestamp(1527501148, UTC),
        "submitted_at": None,
        "archived": False,
        "archived_at": None,
        "external_id": None,
        "meta": {
            "activationbirthdate": 0,
            "activationdeathdate": 0,
            "activationlimit": 7,
            "canoverwritecontainer": False,
            "customerrequired": True,
            "isdemo": False,
        },
    }
    return Order(**(values | overrides))


def create(**body: Any) -> Any:
    return mapping.to_client_create(CustomerV1In.model_validate(body))


def update(current: Client, **body: Any) -> dict[str, Any]:
    return mapping.to_client_update(CustomerV1In.model_validate(body), current).given()


def issue_fields(caught: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [issue.field for issue in caught.value.details]


class TestToClientCreate:
    def test_documented_body(self) -> None:
        native = create(**CREATE)
        assert native.given() == {
            "name": "Google",
            "kind": "COMPANY",
            "first_name": "My first name",
            "last_name": "My last name",
            "company_name": "Google",
            "email": "postman@gmail.com",
            "phone": "123-11-11",
            "additional_information": "Created by postman",
            "status": "INACTIVE",
            "archived": False,
            "external_id": None,
        }
        assert native.metadata is None

    @pytest.mark.parametrize(
        ("names", "name", "kind"),
        [
            ({"customerName": "Peter"}, "Peter", "PERSON"),
            ({"customerLastName": "Licensee"}, "Licensee", "PERSON"),
            ({"customerName": "Lena", "customerLastName": "Licensee"}, "Lena Licensee", "PERSON"),
            ({"customerName": "Lena", "customerCompanyName": "Acme"}, "Acme", "COMPANY"),
            (
                {"customerName": "a" * 200, "customerLastName": "b" * 200},
                "a" * 200 + " " + "b" * 54,
                "PERSON",
            ),
        ],
    )
    def test_name_and_kind_derived(self, names: dict[str, str], name: str, kind: str) -> None:
        native = create(**names)
        assert (native.name, native.kind) == (name, kind)

    @pytest.mark.parametrize(
        "body",
        [{}, {"customerEmail": "a@example.com"}, {"customerName": " ", "customerCompanyName": ""}],
    )
    def test_a_name_is_needed(self, body: dict[str, Any]) -> None:
        with pytest.raises(Invalid) as caught:
            create(**body)
        assert issue_fields(caught) == ["customerName"]

    def test_status_and_defaults(self) -> None:
        assert create(customerName="A", customerStatus=1).status == "ACTIVE"
        native = create(customerName="A")
        assert "status" not in native.given() and "archived" not in native.given()

    def test_crm_and_ref_ids(self) -> None:
        native = create(customerName="A", crmId="CRM-1", refId="R-9")
        assert native.external_id == "CRM-1" and native.metadata == {"refid": "R-9"}
        native = create(customerName="A", crmId="", refId="")
        assert native.external_id is None and native.metadata is None

    def test_empty_text_means_none(self) -> None:
        native = create(customerName="A", customerEmail="", customerPhone=None)
        assert (native.email, native.phone) == (None, None)

    def test_keys_with_stray_spaces_are_read_as_the_key(self) -> None:
        native = create(**{" customerName ": "Peter", "\tcustomerEmail": "p@example.com"})
        assert (native.first_name, native.email) == ("Peter", "p@example.com")
        with pytest.raises(ValueError, match="given twice"):
            CustomerV1In.model_validate({"customerName": "A", " customerName": "B"})

    def test_native_rules_named_in_the_documents_terms(self) -> None:
        with pytest.raises(Invalid) as caught:
            create(
                customerName="A",
                customerEmail="nope",
                customerPhone="call me",
                customerCompanyName="x" * 256,
                crmId="c" * 256,
                refId="r" * 501,
            )
        assert set(issue_fields(caught)) == {
            "customerEmail",
            "customerPhone",
            "customerCompanyName",
            "crmId",
            "refId",
        }
        assert "externalId" not in caught.value.message

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"customerStatus": 2}, "customerStatus"),
            ({"customerStatus": None}, "customerStatus"),
            ({"archived": None}, "archived"),
        ],
    )
    def test_bad_status_and_archived(self, body: dict[str, Any], field: str) -> None:
        with pytest.raises(Invalid) as caught:
            create(customerName="A", **body)
        assert issue_fields(caught) == [field]

    @pytest.mark.parametrize(
        "body",
        [
            {"customerStatus": "1"},
            {"customerStatus": True},
            {"archived": "false"},
            {"customerPhone": 123},
            {"name": "Peter"},
            {"_id": 4},
        ],
    )
    def test_types_are_the_documents(self, body: dict[str, Any]) -> None:
        with pytest.raises(ValueError, match=next(iter(body))):
            CustomerV1In.model_validate({"customerName": "A", **body})


class TestToClientUpdate:
    def test_documented_change(self) -> None:
        current = client(
            name="Google", kind="COMPANY", first_name="My first name", company_name="Google"
        )
        assert update(current, **CHANGE) == {
            "name": "Google",
            "kind": "COMPANY",
            "first_name": "PostManPut",
            "last_name": "My last name",
            "company_name": "Google",
            "email": "postman@gmail.com",
            "phone": "111-11-11",
            "additional_information": "Created by postman By",
            "archived": False,
            "external_id": None,
        }

    def test_only_fields_sent(self) -> None:
        assert update(client(), customerPhone="555") == {"phone": "555"}
        assert update(client(), customerEmail="") == {"email": None}
        assert update(client()) == {}

    def test_name_follows_the_parts(self) -> None:
        current = client(first_name="Peter", last_name="Pan", name="Peter Pan")
        assert update(current, customerName="Wendy") == {
            "first_name": "Wendy",
            "name": "Wendy Pan",
            "kind": "PERSON",
        }
        assert update(current, customerCompanyName="Neverland")["name"] == "Neverland"
        assert update(current, customerCompanyName="Neverland")["kind"] == "COMPANY"
        assert update(current, customerLastName="")["name"] == "Peter"
        with pytest.raises(Invalid) as caught:
            update(current, customerName="", customerLastName=None)
        assert issue_fields(caught) == ["customerName"]

    def test_a_native_name_stays_until_a_part_is_sent(self) -> None:
        native = client(name="Acme Construction", first_name=None, kind="COMPANY")
        assert "name" not in update(native, customerPhone="1")

    @pytest.mark.parametrize(
        ("current", "sent", "status"),
        [
            ("ACTIVE", 0, "INACTIVE"),
            ("ACTIVE", 1, None),
            ("INACTIVE", 1, "ACTIVE"),
            ("INACTIVE", 0, None),
            ("PROSPECT", 0, None),
            ("CLOSED", 0, None),
            ("PROSPECT", 1, "ACTIVE"),
        ],
    )
    def test_status(self, current: str, sent: int, status: str | None) -> None:
        assert update(client(status=current), customerStatus=sent).get("status") == status

    def test_refid_keeps_the_other_metadata(self) -> None:
        current = client(meta={"erp": "sap", "refid": "old"})
        assert update(current, refId="new") == {"metadata": {"erp": "sap", "refid": "new"}}
        assert update(current, refId="") == {"metadata": {"erp": "sap"}}
        assert update(current, refId="old") == {}
        assert update(client(meta={}), refId="") == {}


class TestToCustomer:
    def test_documented_answer(self) -> None:
        assert (
            mapping.to_customer(client())
            == EXAMPLES["Get a customer by ID"]["response"]["customer"]
        )

    def test_fields(self) -> None:
        moment = datetime(2024, 5, 28, 10, 32, 28, 500_000, tzinfo=UTC)
        answer = mapping.to_customer(
            client(
                number=9,
                status="PROSPECT",
                archived=True,
                archived_at=moment,
                external_id="CRM-1",
                meta={"refid": "R-9", "erp": "sap"},
                additional_information="note",
                company_name="Google",
            )
        )
        assert answer["_id"] == 9 and answer["status"] == 0
        assert (answer["archived"], answer["archivationdate"]) == (True, 1716892348)
        assert (answer["crmid"], answer["refid"]) == ("CRM-1", "R-9")
        assert (answer["description"], answer["companyname"]) == ("note", "Google")
        assert set(answer) == set(mapping.FIELDS)

    def test_missing_values_show_empty(self) -> None:
        answer = mapping.to_customer(
            client(first_name=None, email=None, phone=None, meta={"refid": 7})
        )
        assert (answer["name"], answer["email"], answer["phone"]) == ("", "", "")
        assert answer["refid"] == "7"

    def test_list(self) -> None:
        page = Page([client(number=1), client(number=2)], 2, None, 100, 1, None)
        assert [c["_id"] for c in mapping.to_customer_list(page)["customers"]] == [1, 2]


class TestListParams:
    def test_documented_defaults(self) -> None:
        params = CustomersV1ListParams.model_validate(
            {"sortby": "default", "direction": "asc", "offset": "0", "limit": "100"}
        )
        expected = [
            ("offset", "0"),
            ("limit", "100"),
            ("sort", "companyNameAsShown,lastNameAsShown,firstNameAsShown"),
        ]
        assert mapping.to_list_params(params) == expected
        assert mapping.to_list_params(CustomersV1ListParams()) == expected
        query = mapping.to_list_query(params)
        assert (query.offset, query.limit, query.page) == (0, 100, None)
        assert [key.descending for key in query.sort] == [False] * 3

    def test_sorts(self) -> None:
        query = mapping.to_list_query(CustomersV1ListParams(sortby="name", direction="DESC"))
        assert [(k.field.name, k.descending) for k in query.sort] == [
            ("lastNameAsShown", True),
            ("firstNameAsShown", True),
        ]
        query = mapping.to_list_query(CustomersV1ListParams(sortby="company", offset=7, limit=3))
        assert [k.field.name for k in query.sort] == ["companyNameAsShown"]
        assert (query.offset, query.limit) == (7, 3)

    @pytest.mark.parametrize(
        ("kind", "archived", "filters"),
        [
            ("company", None, {("hasCompanyName", (True,))}),
            ("PERSON", "false", {("hasCompanyName", (False,)), ("archived", (False,))}),
            ("both", "TRUE", {("archived", (True,))}),
            ("", "", set()),
        ],
    )
    def test_type_and_archived(self, kind: str, archived: str | None, filters: set[Any]) -> None:
        query = mapping.to_list_query(CustomersV1ListParams(type=kind, archived=archived))
        assert {(f.field.name, f.values) for f in query.filters} == filters

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"sortby": "email"}, "sortby"),
            ({"direction": "up"}, "direction"),
            ({"archived": "yes"}, "archived"),
            ({"limit": 0}, "limit"),
            ({"limit": 201}, "limit"),
            ({"offset": -1}, "offset"),
            ({"offset": 10_000_001}, "offset"),
        ],
    )
    def test_bad_values_are_named(self, params: dict[str, Any], field: str) -> None:
        with pytest.raises(Invalid) as caught:
            mapping.to_list_query(CustomersV1ListParams.model_validate(params))
        assert issue_fields(caught) == [field]

    def test_unnamed_parameters_ignored(self) -> None:
        params = CustomersV1ListParams.model_validate(
            {"includeDeleted": "true", "page": "3", "q": "x", "status": "ACTIVE"}
        )
        query = mapping.to_list_query(params)
        assert (query.include_deleted, query.q, query.filters, query.offset) == (False, None, (), 0)


class TestOrders:
    def test_documented_orders(self) -> None:
        documented = EXAMPLES["Get a list of customer orders"]["response"]["orders"]
        first = mapping.to_order(order())
        assert first == documented[0] | {"_id": 10016, "number": 10016}
        submitted = datetime.fromtimestamp(1538470000, UTC)
        second = order(
            number=10096,
            status="SUBMITTED",
            description="test bugs in sn activation number",
            quantity=10,
            date=datetime.fromtimestamp(1538463338, UTC),
            submitted_at=submitted,
            meta=order().meta | {"activationbirthdate": 1538463338, "activationlimit": 1},
        )
        assert mapping.to_order(second) == documented[1] | {
            "_id": 10096,
            "number": 10096,
            "submitdate": 1538470000,
        }

    def test_unset_licensing_fields_and_other_values(self) -> None:
        moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
        answer = mapping.to_order(
            order(
                meta={"refid": "R1"},
                status="REVOKED",
                archived=True,
                archived_at=moment,
                external_id="SO-1",
                description=None,
            )
        )
        assert {name: answer[name] for name in mapping.LICENSING} == dict(mapping.LICENSING)
        assert (answer["status"], answer["archivationdate"]) == (2, 1704164645)
        assert (answer["crmid"], answer["refid"], answer["description"]) == ("SO-1", "R1", "")

    @pytest.mark.parametrize(
        ("meta", "shown"),
        [
            ({"activationlimit": "12"}, {"activationlimit": 12}),
            ({"activationlimit": 3.0}, {"activationlimit": 3}),
            ({"activationlimit": "many"}, {"activationlimit": 0}),
            (
                {"isdemo": "true", "canoverwritecontainer": 1},
                {"isdemo": True, "canoverwritecontainer": True},
            ),
            ({"customerrequired": "false"}, {"customerrequired": False}),
            ({"isdemo": "maybe"}, {"isdemo": False}),
            ({"activationbirthdate": "1538463338"}, {"activationbirthdate": 1538463338}),
            ({"activationdeathdate": "2018-10-02T06:55:38Z"}, {"activationdeathdate": 1538463338}),
            ({"activationdeathdate": "soon"}, {"activationdeathdate": 0}),
        ],
    )
    def test_metadata_values_read_as_the_fields_type(
        self, meta: dict[str, Any], shown: dict[str, Any]
    ) -> None:
        answer = mapping.to_order(order(meta=meta))
        assert {name: answer[name] for name in shown} == shown

    def test_list_params(self) -> None:
        assert mapping.to_order_list_params(CustomerV1OrdersParams()) == [
            ("offset", "0"),
            ("limit", "100"),
            ("sort", "number"),
        ]
        params = CustomerV1OrdersParams(sortby="submitdate", direction="desc", status="0, 1,1,")
        assert mapping.to_order_list_params(params)[2:] == [
            ("sort", "-submittedAtOrEpoch"),
            ("status", "DRAFT,SUBMITTED"),
        ]
        query = mapping.to_order_list_query(params)
        assert [(f.field.name, f.values) for f in query.filters] == [
            ("status", ("DRAFT", "SUBMITTED"))
        ]
        assert mapping.to_order_list_params(CustomerV1OrdersParams(status=" , "))[2:] == [
            ("sort", "number")
        ]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"status": "3"}, "status"),
            ({"status": "DRAFT"}, "status"),
            ({"sortby": "date"}, "sortby"),
            ({"direction": "down"}, "direction"),
            ({"limit": 500}, "limit"),
        ],
    )
    def test_bad_values_are_named(self, params: dict[str, Any], field: str) -> None:
        with pytest.raises(Invalid) as caught:
            mapping.to_order_list_query(CustomerV1OrdersParams.model_validate(params))
        assert issue_fields(caught) == [field]
