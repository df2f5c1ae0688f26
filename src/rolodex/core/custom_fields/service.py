"""Custom-field definitions and value validation (filled in by the custom-fields issue)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.core.errors import FieldIssue, Invalid
from rolodex.core.principal import Principal


async def validate_values(
    session: AsyncSession, principal: Principal, values: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    """Check a client's customFields against the organization's definitions."""
    if values:
        issues = [FieldIssue(f"customFields.{key}", "unknown custom field") for key in values]
        raise Invalid("Unknown custom fields", details=issues)
    return values
