"""Merge into existing (core/clients/merge_into.py): the match, and what a merge fills."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from tests.conftest import Tenant

from rolodex.core.clients import merge_into
from rolodex.core.clients.models import Client
from rolodex.core.clients.schemas import ClientCreate
from rolodex.core.db import session_scope
from rolodex.core.principal import Principal, Scope


def body(**overrides: Any) -> ClientCreate:
    values: dict[str, Any] = {
        "name": "Acme",
        "contactPersons": [{"firstName": "Ann", "email": "ann@example.com", "isMain": True}],
    }
    return ClientCreate.model_validate(values | overrides)


@pytest.mark.parametrize(
    ("given", "same"),
    [("Acme  B.V.", "acme b.v."), ("\tACME\nb.v. ", "acme b.v."), ("Straße", "strasse")],
)
def test_same_name(given: str, same: str) -> None:
    assert merge_into.same_name(given) == same


def test_unfilled_fills_only_empty_fields() -> None:
    existing = Client(
        name="Acme",
        kind="COMPANY",
        status="ACTIVE",
        archived=False,
        city="Oslo",
        department="",
        phone=None,
        tags=[],
        meta={"erp": "1"},
        custom_fields={"size": 3},
        point_lng=None,
    )
    incoming = body(
        city="Bergen",
        department="Sales",
        phone=None,
        email="office@example.com",
        tags=["vip"],
        metadata={"erp": "2", "crm": "9"},
        customFields={"size": 4, "since": "2020-01-01", "gone": None},
        point={"lng": 10.7, "lat": 59.9},
        status="PROSPECT",
    )
    fill = merge_into.unfilled(existing, incoming)
    assert fill.pop("point").lat == 59.9
    assert fill == {
        "department": "Sales",
        "email": "office@example.com",
        "tags": ["vip"],
        "metadata": {"erp": "1", "crm": "9"},
        "custom_fields": {"since": "2020-01-01"},
    }


async def test_create_then_merge(sessions: Any, tenant: Tenant) -> None:
    principal = Principal(UUID(tenant.id), tenant.number, Scope.WRITE)
    async with session_scope(sessions) as session:
        first, merged = await merge_into.create_or_merge(session, principal, body())
        assert not merged
    again = body(
        name=" ACME ",
        city="Oslo",
        addresses=[{"label": "Depot", "city": "Drammen"}],
        contactPersons=[
            {"firstName": "Ann", "email": "ANN@example.com", "phone": "123", "isMain": True}
        ],
    )
    async with session_scope(sessions) as session:
        found, merged = await merge_into.create_or_merge(session, principal, again)
        assert merged and found.id == first.id and found.city == "Oslo"
        assert found.name == "Acme" and found.version == first.version + 1
    # No main contact email, or another one: a new client.
    async with session_scope(sessions) as session:
        no_email = body(contactPersons=[{"firstName": "Ann", "isMain": True}])
        other, merged = await merge_into.create_or_merge(session, principal, no_email)
        assert not merged and other.id != first.id
        assert await merge_into.find_match(session, principal, body(contactPersons=[])) is None
