"""Imports every model module so `Base.metadata` knows every table (Alembic, tests)."""

from rolodex.core.client_types.models import ClientType
from rolodex.core.clients.models import Client
from rolodex.core.db import Base
from rolodex.core.external_ids.models import ExternalId
from rolodex.core.idempotency.models import IdempotencyKey
from rolodex.core.keys.models import ApiKey
from rolodex.core.orgs.models import Counter, Organization

__all__ = [
    "ApiKey",
    "Base",
    "Client",
    "ClientType",
    "Counter",
    "ExternalId",
    "IdempotencyKey",
    "Organization",
]
