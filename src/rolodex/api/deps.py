"""Request dependencies: the database session (owns the transaction) and the principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.errors import Forbidden, Unauthorized
from rolodex.core.keys import service as keys_service
from rolodex.core.principal import Principal, Scope


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session and transaction per request: committed before the response is sent."""
    async with request.app.state.sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing API key: send `Authorization: Bearer <key>`")
    return token.strip()


async def get_principal(request: Request, response: Response, session: DbSession) -> Principal:
    """The caller, from the Bearer API key; counts the request against the key's rate limit."""
    principal = await keys_service.authenticate(session, _bearer(request))
    request.state.principal = principal
    response.headers.update(await request.app.state.rate_limit.hit(str(principal.key_id)))
    return principal


def require(scope: Scope):  # type: ignore[no-untyped-def]
    """A dependency that admits keys with at least `scope`."""

    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.allows(scope):
            raise Forbidden(f"This API key lacks the {scope.label} scope")
        return principal

    return dependency


ReadScope = Annotated[Principal, Depends(require(Scope.READ))]
WriteScope = Annotated[Principal, Depends(require(Scope.WRITE))]
AdminScope = Annotated[Principal, Depends(require(Scope.ADMIN))]
