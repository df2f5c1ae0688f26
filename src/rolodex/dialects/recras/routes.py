"""Recras customers (klanten) at /api2: parse, resolve references, map, call the core services.

Every route uses RecrasRoute (errors.py): input errors answer 406, a key without the write
scope 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.core.client_types import service as client_types_service
from rolodex.core.clients import embeds, merge_into
from rolodex.core.clients import service as clients_service
from rolodex.core.clients.models import Client
from rolodex.core.contacts import service as contacts_service
from rolodex.core.custom_fields import service as custom_fields_service
from rolodex.core.custom_fields.schemas import FieldType
from rolodex.core.errors import NotFound, RolodexError, under
from rolodex.core.principal import Principal
from rolodex.dialects.recras import mapping
from rolodex.dialects.recras.errors import RecrasRoute
from rolodex.dialects.recras.schemas import (
    EXAMPLE_CREATE,
    EXAMPLE_KLANT,
    EXAMPLE_KLANT_17,
    EXAMPLE_KLANT_DETAIL,
    RecrasKlant,
    RecrasKlantDetail,
    RecrasKlantIn,
    RecrasKlantUpdate,
)

router = APIRouter(prefix="/api2", tags=["dialect: Recras"], route_class=RecrasRoute)

KlantId = Annotated[int, Path(description="The customer's id (its number in the organization)")]
SmallestId = Annotated[
    int | None,
    Query(alias="id>", description="The smallest id to include (`?id>=62`)", examples=[62]),
]


def _answers(status: int, example: Any, *errors: type[RolodexError]) -> dict[int | str, Any]:
    """OpenAPI responses: the success example, then the error DTOs (input errors are 406)."""
    content = {"application/json": {"example": example}}
    documented = error_docs(406, *errors)
    documented.pop(400)
    return {status: {"content": content}, **documented}


@router.get(
    "/klanten",
    response_model=list[RecrasKlant],
    responses=_answers(200, [EXAMPLE_KLANT, EXAMPLE_KLANT_17]),
)
async def list_klanten(
    principal: ReadScope, session: DbSession, smallest: SmallestId = None
) -> Any:
    """Every customer (a plain array, newest first); `id>` is the smallest id to include."""
    clients = await clients_service.list_all(session, principal, mapping.to_list_params(smallest))
    names = await _type_names(session, principal, clients)
    return [mapping.to_recras_klant(client, _name(names, client)) for client in clients]


@router.post(
    "/klanten",
    status_code=201,
    response_model=RecrasKlant,
    responses={
        **_answers(201, EXAMPLE_KLANT),
        200: {"description": "merged into an existing customer", "model": RecrasKlant},
    },
)
async def create_klant(
    body: Annotated[RecrasKlantIn, Body(openapi_examples={"document": {"value": EXAMPLE_CREATE}})],
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Create a customer (201), or merge into the one with the same name and main contact
    email (200)."""
    refs = await _references(session, principal, body)
    data = mapping.to_client_create(body, refs)
    client, merged = await merge_into.create_or_merge(session, principal, data)
    response.status_code = 200 if merged else 201
    names = await _type_names(session, principal, [client])
    return mapping.to_recras_klant(client, _name(names, client))


@router.get(
    "/klanten/{id}",
    response_model=RecrasKlantDetail,
    responses=_answers(200, EXAMPLE_KLANT_DETAIL, NotFound),
)
async def get_klant(id: KlantId, principal: ReadScope, session: DbSession) -> Any:
    """One customer with its contact persons, the main one first."""
    client = await clients_service.get_by_number(session, principal, id)
    return await _detail(session, principal, client)


@router.get(
    "/contacten/{id}",
    response_model=RecrasKlantDetail,
    responses=_answers(200, EXAMPLE_KLANT_DETAIL, NotFound),
)
async def get_contact(id: KlantId, principal: ReadScope, session: DbSession) -> Any:
    """One contact (every contact here is a customer) with its contact persons, main first."""
    client = await clients_service.get_by_number(session, principal, id)
    return await _detail(session, principal, client)


@router.put(
    "/klanten/{id}",
    response_model=RecrasKlantDetail,
    responses=_answers(200, EXAMPLE_KLANT_DETAIL, NotFound),
)
async def update_klant(
    id: KlantId,
    body: Annotated[
        RecrasKlantUpdate, Body(openapi_examples={"document": {"value": {"plaats": "Assen"}}})
    ],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Change the fields given; a given `contactpersonen` becomes the complete list."""
    found = await clients_service.get_by_number(session, principal, id)
    refs = await _references(session, principal, body)
    client = await clients_service.update_with_contacts(
        session,
        principal,
        found.id,
        mapping.to_client_update(body, refs, found),
        mapping.to_contact_list(body, refs),
    )
    return await _detail(session, principal, client)


async def _references(
    session: DbSession, principal: Principal, body: RecrasKlantUpdate
) -> mapping.References:
    """The client type, contact persons and custom fields the body names, from the core."""
    contact_ids = await contacts_service.ids_by_number(
        session, principal, mapping.contact_numbers(body)
    )
    type_id = None
    if body.soort_klant:
        type_id = (await client_types_service.ensure(session, principal, body.soort_klant)).id
    definitions = []
    for index, extra in enumerate(body.extra_fields or []):
        with under(f"extra_fields[{index}]"):
            definitions.append(
                await custom_fields_service.define_on_use(
                    session, principal, extra.name, FieldType(extra.type), mapping.choices(extra)
                )
            )
    return mapping.References(type_id, contact_ids, definitions)


async def _detail(session: DbSession, principal: Principal, client: Client) -> dict[str, Any]:
    embedded = await embeds.load(session, principal, [client.id], ("contactPersons",))
    names = await _type_names(session, principal, [client])
    return mapping.to_recras_detail(
        client, _name(names, client), embedded[client.id]["contactPersons"]
    )


async def _type_names(
    session: DbSession, principal: Principal, clients: list[Client]
) -> dict[Any, str]:
    ids = {client.client_type_id for client in clients if client.client_type_id is not None}
    return await client_types_service.names_of(session, principal, ids)


def _name(names: dict[Any, str], client: Client) -> str | None:
    return names.get(client.client_type_id)
