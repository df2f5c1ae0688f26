"""Native contact person routes: /clients/{clientId}/contact-persons and /contact-persons."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Request, Response

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.api.http import if_match, list_query, only_params, page_meta, set_etag
from rolodex.core import listing
from rolodex.core.contacts import repository as contacts_repository
from rolodex.core.contacts import service as contacts_service
from rolodex.core.contacts.schemas import (
    EXAMPLE,
    UPSERT_EXAMPLE,
    ContactLinkBody,
    ContactPersonCreate,
    ContactPersonList,
    ContactPersonRead,
    ContactPersonUpdate,
    ContactPersonUpsert,
)
from rolodex.core.errors import Conflict, NotFound, PreconditionFailed

router = APIRouter(tags=["contact persons"])

NESTED = "/clients/{client_id}/contact-persons"
ClientId = Annotated[UUID, Path(description="The client's id (UUID)")]
ContactId = Annotated[UUID, Path(description="The contact person's id (UUID)")]
ExternalId = Annotated[str, Path(description="The contact person's externalId", max_length=255)]
System = Annotated[
    str, Path(description="The other system's name", examples=["crm"], max_length=40)
]
ExternalRef = Annotated[
    str,
    Path(description="The contact person's id in that system", examples=["C-881"], max_length=255),
]
ETAG_HEADER = {
    "ETag": {"description": "the contact's version, for If-Match", "schema": {"type": "string"}}
}


def _one(view: contacts_service.ContactView, response: Response | None = None) -> dict[str, Any]:
    if response is not None:
        set_etag(response, view.contact.version)
    return contacts_service.to_read(view)


def _page(page: listing.Page[contacts_service.ContactView]) -> dict[str, Any]:
    return {"data": [contacts_service.to_read(v) for v in page.items], "meta": page_meta(page)}


@router.post(
    NESTED,
    status_code=201,
    response_model=ContactPersonRead,
    responses={201: {"headers": ETAG_HEADER}, **error_docs(NotFound, Conflict)},
)
async def create_contact_person(
    client_id: ClientId,
    body: Annotated[ContactPersonCreate, Body(openapi_examples={"person": {"value": EXAMPLE}})],
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Create a contact person of the client (the client's first contact becomes its main one)."""
    view = await contacts_service.create(session, principal, client_id, body)
    return _one(view, response)


@router.get(NESTED, response_model=ContactPersonList, responses=error_docs(NotFound))
async def list_client_contact_persons(
    client_id: ClientId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    page: Annotated[int | None, Query(description="page number, from 1", ge=1)] = None,
    limit: Annotated[int | None, Query(description="1..200, default 20", ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(description="meta.nextCursor of the previous page")] = None,
    sort: Annotated[
        str | None, Query(description="fields, `-` for descending; default `-isMain,number`")
    ] = None,
    q: Annotated[str | None, Query(description="search names, emails, phones")] = None,
) -> Any:
    """The client's contact persons, the main one first (see the list conventions)."""
    query = list_query(request, contacts_repository.CLIENT_LIST_SPEC)
    return _page(await contacts_service.list_for_client(session, principal, client_id, query))


@router.get(
    NESTED + "/external-id/{external_id}",
    response_model=ContactPersonRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_client_contact_person_by_external_id(
    client_id: ClientId,
    external_id: ExternalId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    response: Response,
) -> Any:
    """One contact person of the client, by its externalId."""
    only_params(request, ())
    view = await contacts_service.get_by_external_id_for_client(
        session, principal, client_id, external_id
    )
    return _one(view, response)


@router.get(
    NESTED + "/{contact_id}",
    response_model=ContactPersonRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_client_contact_person(
    client_id: ClientId,
    contact_id: ContactId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    response: Response,
) -> Any:
    """One contact person of the client."""
    only_params(request, ())
    view = await contacts_service.get_for_client(session, principal, client_id, contact_id)
    return _one(view, response)


@router.patch(
    NESTED + "/{contact_id}",
    response_model=ContactPersonRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound, Conflict, PreconditionFailed)},
)
async def update_client_contact_person(
    client_id: ClientId,
    contact_id: ContactId,
    body: ContactPersonUpdate,
    request: Request,
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Update some fields (absent stays, `null` clears); `isMain` is about this client."""
    view = await contacts_service.update(
        session, principal, client_id, contact_id, body, if_match=if_match(request)
    )
    return _one(view, response)


@router.delete(
    NESTED + "/{contact_id}", response_model=ContactPersonRead, responses=error_docs(NotFound)
)
async def delete_client_contact_person(
    client_id: ClientId,
    contact_id: ContactId,
    request: Request,
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Remove the contact person from the client; one left with no client is deleted."""
    only_params(request, ())
    return _one(await contacts_service.unlink(session, principal, client_id, contact_id))


@router.put(
    NESTED + "/{contact_id}/link",
    response_model=ContactPersonRead,
    responses={
        201: {"model": ContactPersonRead, "description": "linked"},
        **error_docs(NotFound),
    },
)
async def link_contact_person(
    client_id: ClientId,
    contact_id: ContactId,
    principal: WriteScope,
    session: DbSession,
    response: Response,
    body: Annotated[ContactLinkBody | None, Body()] = None,
) -> Any:
    """Link an existing contact person to the client: 201 when linked now, 200 when it was."""
    is_main = body.is_main if body is not None else None
    view, created = await contacts_service.link(session, principal, client_id, contact_id, is_main)
    response.status_code = 201 if created else 200
    return _one(view, response)


@router.get("/contact-persons", response_model=ContactPersonList, responses=error_docs())
async def list_contact_persons(
    request: Request,
    principal: ReadScope,
    session: DbSession,
    page: Annotated[int | None, Query(description="page number, from 1", ge=1)] = None,
    limit: Annotated[int | None, Query(description="1..200, default 20", ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(description="meta.nextCursor of the previous page")] = None,
    sort: Annotated[
        str | None, Query(description="fields, `-` for descending", examples=["name"])
    ] = None,
    q: Annotated[str | None, Query(description="search names, emails, phones")] = None,
) -> Any:
    """Search contact persons across clients (see the list conventions)."""
    query = list_query(request, contacts_repository.LIST_SPEC)
    return _page(await contacts_service.list_page(session, principal, query))


@router.get(
    "/contact-persons/external-ids/{system}/{external_id:text}",
    response_model=ContactPersonRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_contact_person_by_external_ref(
    system: System,
    external_id: ExternalRef,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    response: Response,
) -> Any:
    """One contact person by the id another system gives it (one of its externalIds)."""
    only_params(request, ())
    view = await contacts_service.get_by_external_ref(session, principal, system, external_id)
    return _one(view, response)


@router.put(
    "/contact-persons/external-ids/{system}/{external_id:text}",
    response_model=ContactPersonRead,
    responses={
        200: {"headers": ETAG_HEADER, "description": "replaced"},
        201: {"model": ContactPersonRead, "headers": ETAG_HEADER, "description": "created"},
        **error_docs(Conflict),
    },
)
async def upsert_contact_person_by_external_ref(
    system: System,
    external_id: ExternalRef,
    body: Annotated[
        ContactPersonUpsert, Body(openapi_examples={"person": {"value": UPSERT_EXAMPLE}})
    ],
    principal: WriteScope,
    session: DbSession,
    response: Response,
) -> Any:
    """Create (201, `clientId` required) or replace (200) the contact person holding this id
    in that system; a replace clears the fields the body leaves out and keeps its links."""
    view, created = await contacts_service.upsert_by_external_ref(
        session, principal, system, external_id, body
    )
    response.status_code = 201 if created else 200
    return _one(view, response)


@router.get(
    "/contact-persons/{contact_id}",
    response_model=ContactPersonRead,
    responses={200: {"headers": ETAG_HEADER}, **error_docs(NotFound)},
)
async def get_contact_person(
    contact_id: ContactId,
    request: Request,
    principal: ReadScope,
    session: DbSession,
    response: Response,
) -> Any:
    """One contact person with every client it is linked to (`clientIds`)."""
    only_params(request, ())
    return _one(await contacts_service.get(session, principal, contact_id), response)
