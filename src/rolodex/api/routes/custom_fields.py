"""Native custom-field definition routes: /custom-fields (admin scope to change)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request

from rolodex.api.deps import AdminScope, DbSession, ReadScope
from rolodex.api.errors import error_docs
from rolodex.api.http import list_query, only_params, page_meta
from rolodex.core.custom_fields import repository as custom_fields_repository
from rolodex.core.custom_fields import service as custom_fields_service
from rolodex.core.custom_fields.schemas import (
    EXAMPLE,
    CustomFieldCreate,
    CustomFieldList,
    CustomFieldRead,
    CustomFieldUpdate,
)
from rolodex.core.errors import Conflict, NotFound

router = APIRouter(prefix="/custom-fields", tags=["custom fields"])

FieldKey = Annotated[
    str, Path(description="The custom field's key", max_length=40, examples=["segment"])
]
NUMBER_EXAMPLE = {"key": "shoeSize", "label": "Shoe size", "type": "number", "required": False}


@router.post("", status_code=201, response_model=CustomFieldRead, responses=error_docs(Conflict))
async def create_custom_field(
    body: Annotated[
        CustomFieldCreate,
        Body(
            openapi_examples={
                "singlechoice": {"value": EXAMPLE},
                "number": {"value": NUMBER_EXAMPLE},
            }
        ),
    ],
    principal: AdminScope,
    session: DbSession,
) -> Any:
    """Define a custom field for the organization's clients (admin scope)."""
    definition = await custom_fields_service.create(session, principal, body)
    return custom_fields_service.to_read(definition)


@router.get("", response_model=CustomFieldList, responses=error_docs())
async def list_custom_fields(
    request: Request,
    principal: ReadScope,
    session: DbSession,
    page: Annotated[int | None, Query(description="page number, from 1", ge=1)] = None,
    limit: Annotated[int | None, Query(description="1..200, default 20", ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(description="meta.nextCursor of the previous page")] = None,
    sort: Annotated[str | None, Query(description="key (default), label, createdAt")] = None,
    type: Annotated[str | None, Query(description="e.g. singlechoice,multiplechoice")] = None,
    q: Annotated[str | None, Query(description="search in key and label")] = None,
) -> Any:
    """List the organization's custom-field definitions."""
    query = list_query(request, custom_fields_repository.LIST_SPEC)
    result = await custom_fields_service.list_page(session, principal, query)
    return {
        "data": [custom_fields_service.to_read(d) for d in result.items],
        "meta": page_meta(result),
    }


@router.get("/{key}", response_model=CustomFieldRead, responses=error_docs(NotFound))
async def get_custom_field(
    key: FieldKey, request: Request, principal: ReadScope, session: DbSession
) -> Any:
    """One custom-field definition, by its key."""
    only_params(request, ())
    return custom_fields_service.to_read(await custom_fields_service.get(session, principal, key))


@router.patch("/{key}", response_model=CustomFieldRead, responses=error_docs(NotFound, Conflict))
async def update_custom_field(
    key: FieldKey, body: CustomFieldUpdate, principal: AdminScope, session: DbSession
) -> Any:
    """Change label, type, options or required (admin); 409 if stored values would break."""
    definition = await custom_fields_service.update(session, principal, key, body)
    return custom_fields_service.to_read(definition)


@router.delete("/{key}", response_model=CustomFieldRead, responses=error_docs(NotFound, Conflict))
async def delete_custom_field(
    key: FieldKey, request: Request, principal: AdminScope, session: DbSession
) -> Any:
    """Delete a definition (admin); 409 while clients hold values for it."""
    only_params(request, ())
    definition = await custom_fields_service.delete(session, principal, key)
    return custom_fields_service.to_read(definition)
