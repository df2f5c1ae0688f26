"""Organizations: create, look up, and the demo organization."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.errors import Invalid, NotFound
from rolodex.core.orgs.models import Organization


async def create(session: AsyncSession, *, name: str, is_demo: bool = False) -> Organization:
    """Create an organization with the next global number."""
    name = name.strip()
    if not name or len(name) > 255:
        raise Invalid.field("name", "must be 1 to 255 characters")
    for _attempt in range(5):
        number = await session.scalar(select(func.coalesce(func.max(Organization.number), 0)))
        org = Organization(name=name, number=int(number or 0) + 1, is_demo=is_demo)
        try:
            async with session.begin_nested():
                session.add(org)
                await session.flush()
        except IntegrityError:
            continue
        return org
    raise Invalid("could not allocate an organization number; try again")


async def get(session: AsyncSession, organization_id: UUID) -> Organization:
    """One organization by id."""
    org = await session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"Organization {organization_id} not found")
    return org


async def get_demo(session: AsyncSession) -> Organization | None:
    """The demo organization, if one was made."""
    stmt = select(Organization).where(Organization.is_demo.is_(True)).order_by(Organization.number)
    return (await session.scalars(stmt.limit(1))).first()
