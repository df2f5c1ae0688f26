"""Imports every model module so `Base.metadata` knows every table (Alembic, tests)."""

from rolodex.core.client_types.models import ClientType
from rolodex.core.clients.models import Client
from rolodex.core.db import Base
from rolodex.core.events.models import Event
from rolodex.core.keys.models import ApiKey
from rolodex.core.orgs.models import Counter, Organization
from rolodex.core.webhooks.models import Attempt, Delivery, Webhook

__all__ = [
    "ApiKey",
    "Attempt",
    "Base",
    "Client",
    "ClientType",
    "Counter",
    "Delivery",
    "Event",
    "Organization",
    "Webhook",
]
