"""The Summit mapping functions, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from rolodex.core.clients import repository as clients_repository
from rolodex.core.clients.models import Client
from rolodex.core.errors import Invalid
from rolodex.core.listing import Page
from rolodex.dialects.summit import mapping
from rolodex.dialects.summit.schemas import SummitClientIn, SummitClientUpdate, SummitListParams

GOLDEN = json.loads((Path(__file__).parent / "examples.json").read_text())
EXAMPLES = {example["title"]: example for example in GOLDEN["examples"]}


def summit_client(**overrides: Any) -> Client:
    values: dict[str, Any] = {
        "id": uuid4(),
        "organization_id": uuid4(),
        "number": 2,
        "kind": "COMPANY",
        "name": "New Client Beta",
        "email": "beta@example.com",
        "phone": "555-0102",
        "street_and_number": "456 Beta Rd, Betatown",
        "payment_terms": 15,
        "created_at": datetime(2023, 10, 27, 10, tzinfo=UTC),
        "updated_at": datetime(2023, 10, 27, 10, tzinfo=UTC),
        "deleted_at": None,
    }
    return Client(**(values | overrides))


class TestToClientCreate:
    def test_documented_body(self) -> None:
        body = SummitClientIn.model_validate(EXAMPLES["Create Client"]["request"]["body"])
        native = mapping.to_client_create(body)
        assert native.name == "New Client Beta" and native.email == "beta@example.com"
        assert native.phone == "555-0102" and native.payment_terms == 15
        assert native.street_and_number == "456 Beta Rd, Betatown"
        assert native.street is None and native.city is None and native.metadata is None

    def test_read_only_fields_ignored(self) -> None:
        body = SummitClientIn.model_validate(EXAMPLES["Create Client"]["response"])
        native = mapping.to_client_create(body)
        assert native.given().keys() == {
            "name",
            "email",
            "phone",
            "street_and_number",
            "payment_terms",
        }

    def test_native_rules_named_in_summit_terms(self) -> None:
        body = SummitClientIn.model_validate(
            {"name": " ", "email": "nope", "address": "x" * 256, "paymentTerms": 4000}
        )
        with pytest.raises(Invalid) as caught:
            mapping.to_client_create(body)
        fields = {issue.field for issue in caught.value.details}
        assert fields == {"name", "email", "address", "paymentTerms"}
        assert "streetAndNumber" not in caught.value.message

    def test_unknown_field_refused(self) -> None:
        with pytest.raises(ValueError, match="colour"):
            SummitClientIn.model_validate({"name": "A", "colour": "red"})


class TestToClientUpdate:
    def test_only_fields_sent(self) -> None:
        body = SummitClientUpdate.model_validate(EXAMPLES["Update Client"]["request"]["body"])
        native = mapping.to_client_update(body)
        assert native.given() == {"name": "Updated Client Beta", "payment_terms": 45}

    def test_null_clears(self) -> None:
        native = mapping.to_client_update(
            SummitClientUpdate.model_validate({"address": None, "email": None})
        )
        assert native.given() == {"street_and_number": None, "email": None}

    def test_empty_body_changes_nothing(self) -> None:
        assert mapping.to_client_update(SummitClientUpdate()).given() == {}


class TestToSummitClient:
    def test_documented_answer(self) -> None:
        assert (
            mapping.to_summit_client(summit_client(), 1)
            == EXAMPLES["Get Client Details"]["response"]
        )

    def test_soft_deleted(self) -> None:
        moment = datetime(2023, 10, 27, 12, tzinfo=UTC)
        answer = mapping.to_summit_client(summit_client(deleted_at=moment, updated_at=moment), 7)
        assert answer["softDelete"] is True and answer["companyId"] == 7
        assert answer["updatedAt"] == "2023-10-27T12:00:00.000Z"

    def test_list(self) -> None:
        page = Page(
            [summit_client(number=1)], total=1, page=1, limit=5, page_count=1, next_cursor=None
        )
        answer = mapping.to_summit_list(page, 1)
        assert answer["meta"] == {"total": 1, "page": 1, "limit": 5, "pageCount": 1}
        assert [item["id"] for item in answer["data"]] == [1]


class TestListParams:
    def test_documented_query(self) -> None:
        params = SummitListParams.model_validate(EXAMPLES["List Clients"]["request"]["query"])
        assert mapping.to_list_params(params) == [
            ("page", "1"),
            ("limit", "5"),
            ("sort", "name"),
            ("order", "desc"),
        ]
        query = mapping.to_list_query(params)
        assert (query.page, query.limit) == (1, 5)
        assert [(key.field.name, key.descending) for key in query.sort] == [("name", True)]

    @pytest.mark.parametrize(
        ("sort", "native"),
        [
            ("id", "number"),
            ("-createdAt", "-createdAt"),
            ("paymentTerms,id", "paymentTerms,number"),
        ],
    )
    def test_sort_names(self, sort: str, native: str) -> None:
        assert mapping.to_native_sort(sort) == native

    def test_every_summit_sort_is_sortable_natively(self) -> None:
        for name in mapping.SORTS:
            query = mapping.to_list_query(SummitListParams(sort=name, order="asc"))
            assert query.sort[0].field.name == mapping.SORTS[name]

    def test_unknown_sort(self) -> None:
        with pytest.raises(Invalid) as caught:
            mapping.to_list_query(SummitListParams(sort="address"))
        assert caught.value.details[0].field == "sort"

    def test_blank_and_unnamed_parameters_ignored(self) -> None:
        params = SummitListParams.model_validate(
            {"sort": " ", "order": "", "q": "  ", "includeDeleted": "true", "status": "X"}
        )
        assert mapping.to_list_params(params) == []
        query = mapping.to_list_query(params)
        assert not query.include_deleted and query.filters == () and query.q is None

    def test_order_any_case(self) -> None:
        query = mapping.to_list_query(SummitListParams(sort="name", order="DESC"))
        assert query.sort[0].descending

    def test_native_limits_apply(self) -> None:
        with pytest.raises(Invalid) as caught:
            mapping.to_list_query(SummitListParams(limit=500))
        assert caught.value.details[0].field == "limit"

    def test_search_is_name_or_email(self) -> None:
        assert mapping.LIST_SPEC is clients_repository.NAME_OR_EMAIL_SPEC
        assert mapping.to_list_query(SummitListParams(q="beta")).q == "beta"
