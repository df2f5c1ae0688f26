"""Request dependencies: the database session (owns the transaction) and the principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.errors import Forbidden, Unauthorized
from rolodex.core.keys import service as keys_service
from rolodex.core.principal import Principal, Scope

# scope["state"] key: the rate-limit headers of a request already counted (by the fast lane,
# which then passed it on to its route), so that the route does not count it again.
RATE_LIMIT_COUNTED = "rolodex.rate_limit_counted"


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


def read_session(request: Request) -> AsyncSession:
    """A session for routes that only read, for the route to open itself (`async with`). On
    PostgreSQL it opens no transaction (no BEGIN and COMMIT round trips): each statement sees
    the data committed when it starts, so a read that takes one statement is as consistent as
    before. On SQLite it is `get_session`'s. Not a yield dependency: FastAPI's handling of one
    (an exit stack and a cancel scope per request) was about 7% of a GET."""
    session: AsyncSession = request.app.state.read_sessions()
    return session


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing API key: send `Authorization: Bearer <key>`")
    return token.strip()


async def get_principal(request: Request, response: Response) -> Principal:
    """The caller, from the Bearer API key; counts the request against the key's rate limit."""
    principal = await authenticate(request.app, _bearer(request))
    request.state.principal = principal
    counted = request.scope.get("state", {}).get(RATE_LIMIT_COUNTED)  # by api/fastlane.py
    if counted is None:
        counted = await request.app.state.rate_limit.hit(str(principal.key_id))
    response.headers.update(counted)
    return principal


async def authenticate(app: Any, secret: str) -> Principal:
    """The principal of an API key secret (cached for ROLODEX_KEY_CACHE_SECONDS), or 401."""
    return await keys_service.authenticate_cached(
        app.state.read_sessions, secret, cache_seconds=app.state.settings.key_cache_seconds
    )


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
