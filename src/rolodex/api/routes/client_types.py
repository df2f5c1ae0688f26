"""Native client type routes: /client-types."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Path, Query, Request

from rolodex.api.deps import DbSession, ReadScope, WriteScope
from rolodex.api.errors import error_docs
from rolodex.api.http import list_query, only_params, page_meta
from rolodex.core.client_types import repository as client_types_repository
from rolodex.core.client_types import service as client_types_service
from rolodex.core.client_types.schemas import (
    EXAMPLE,
    ClientTypeCreate,
    ClientTypeList,
    ClientTypeRead,
    ClientTypeUpdate,
)
from rolodex.core.errors import Conflict, NotFound

router = APIRouter(prefix="/client-types", tags=["client types"])

TypeId = Annotated[UUID, Path(description="The client type's id (UUID)")]


@router.post("", status_code=201, response_model=ClientTypeRead, responses=error_docs(Conflict))
async def create_client_type(
    body: Annotated[ClientTypeCreate, Body(openapi_examples={"type": {"value": EXAMPLE}})],
    principal: WriteScope,
    session: DbSession,
) -> Any:
    """Create a client type (its name must be new in the organization, regardless of case)."""
    return client_types_service.to_read(await client_types_service.create(session, principal, body))


@router.get("", response_model=ClientTypeList, responses=error_docs())
async def list_client_types(
    request: Request,
    principal: ReadScope,
    session: DbSession,
    page: Annotated[int | None, Query(description="page number, from 1", ge=1)] = None,
    limit: Annotated[int | None, Query(description="1..200, default 20", ge=1, le=200)] = None,
    cursor: Annotated[str | None, Query(description="meta.nextCursor of the previous page")] = None,
    sort: Annotated[str | None, Query(description="name (default), number, createdAt")] = None,
    q: Annotated[str | None, Query(description="search in name and description")] = None,
) -> Any:
    """List the organization's client types."""
    query = list_query(request, client_types_repository.LIST_SPEC)
    result = await client_types_service.list_page(session, principal, query)
    return {
        "data": [client_types_service.to_read(t) for t in result.items],
        "meta": page_meta(result),
    }


@router.get("/{type_id}", response_model=ClientTypeRead, responses=error_docs(NotFound))
async def get_client_type(
    type_id: TypeId, request: Request, principal: ReadScope, session: DbSession
) -> Any:
    """One client type."""
    only_params(request, ())
    return client_types_service.to_read(await client_types_service.get(session, principal, type_id))


@router.patch("/{type_id}", response_model=ClientTypeRead, responses=error_docs(NotFound, Conflict))
async def update_client_type(
    type_id: TypeId, body: ClientTypeUpdate, principal: WriteScope, session: DbSession
) -> Any:
    """Rename a client type or change its description."""
    found = await client_types_service.update(session, principal, type_id, body)
    return client_types_service.to_read(found)


@router.delete(
    "/{type_id}", response_model=ClientTypeRead, responses=error_docs(NotFound, Conflict)
)
async def delete_client_type(
    type_id: TypeId, request: Request, principal: WriteScope, session: DbSession
) -> Any:
    """Delete a client type; 409 while clients use it. Answers the deleted type."""
    only_params(request, ())
    found = await client_types_service.delete(session, principal, type_id)
    return client_types_service.to_read(found)
