"""TimeWave's list parameters and answers, without a database."""

from __future__ import annotations

import pytest

from rolodex.core.errors import Invalid
from rolodex.core.listing import Page
from rolodex.dialects.timewave import lists

from .test_mapping import client


class TestListParams:
    def test_defaults(self) -> None:
        native, _ = lists.to_list_params([])
        assert native == [("limit", "15"), ("sort", "number")]

    @pytest.mark.parametrize(
        ("pairs", "expected"),
        [
            ([("id", "5")], [("number", "5")]),
            ([("id[gt]", "10")], [("number[gt]", "10")]),
            ([("id[between]", "2,9")], [("number[between]", "2,9")]),
            ([("status", "active,deleted")], [("status", "ACTIVE,CLOSED")]),
            ([("number", "0010")], [("metadataNumber.timewave.number", "0010")]),
            ([("number", "A-12")], [("metadata.timewave.number", "A-12")]),
            ([("number[lt]", "7")], [("metadataNumber.timewave.number[lt]", "7")]),
            ([("deleted", "1")], [("deleted", "true"), ("includeDeleted", "true")]),
            ([("email", "a@example.com")], [("email", "a@example.com")]),
            ([("personal_number", "1")], [("personalNumber", "1")]),
            ([("title", "x"), ("phone[gt]", "1"), ("q", "x"), ("email", " ")], []),
        ],
    )
    def test_filters(self, pairs: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
        native, _ = lists.to_list_params(pairs)
        assert native[2:] == expected
        lists.to_list_query(pairs)  # the native list mechanism takes them

    def test_paging_and_sort(self) -> None:
        native, _ = lists.to_list_params(
            [("page", "3"), ("per_page", "50"), ("sort", "-paymenttype,title")]
        )
        assert native == [("page", "3"), ("limit", "50"), ("sort", "-paymentTypeOrder,name")]

    def test_every_sort_is_sortable_natively(self) -> None:
        for name in lists.SORTS:
            for term in (name, f"-{name}"):
                query = lists.to_list_query([("sort", term)])
                assert query.sort[0].descending == term.startswith("-")

    @pytest.mark.parametrize(
        ("pairs", "field"),
        [
            ([("sort", "comment")], "sort"),
            ([("per_page", "500")], "per_page"),
            ([("page", "0")], "page"),
            ([("id", "abc")], "id"),
            ([("id[gte]", "1")], "id[gte]"),
            ([("email[gt]", "a")], "email[gt]"),
            ([("number[gt]", "x")], "number[gt]"),
            ([("id[between]", "9")], "id[between]"),
            ([("status", "borttagen")], "status"),
            ([("deleted", "maybe")], "deleted"),
        ],
    )
    def test_bad_parameters_named_as_sent(self, pairs: list[tuple[str, str]], field: str) -> None:
        with pytest.raises(Invalid) as caught:
            lists.to_list_query(pairs)
        assert [d.field for d in caught.value.details] == [field]


def test_list_meta() -> None:
    page = Page([client()], total=31, page=2, limit=15, page_count=3, next_cursor=None)
    assert lists.to_timewave_list(page, [{"id": 4}])["meta"] == {
        "current_page": 2,
        "per_page": 15,
        "total": 31,
        "last_page": 3,
    }
    empty = Page([], total=0, page=1, limit=15, page_count=0, next_cursor=None)
    assert lists.to_timewave_list(empty, [])["meta"]["last_page"] == 1
