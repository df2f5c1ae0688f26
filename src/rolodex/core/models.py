"""Imports every model module so `Base.metadata` knows every table (Alembic, tests)."""

from rolodex.core.addresses.models import Address
from rolodex.core.client_types.models import ClientType
from rolodex.core.clients.models import Client
from rolodex.core.contacts.models import ContactLink, ContactPerson
from rolodex.core.custom_fields.models import CustomField
from rolodex.core.db import Base
from rolodex.core.events.models import Event
from rolodex.core.external_ids.models import ExternalId
from rolodex.core.idempotency.models import IdempotencyKey
from rolodex.core.keys.models import ApiKey
from rolodex.core.orders.models import Order
from rolodex.core.orgs.models import Counter, Organization
from rolodex.core.webhooks.models import Attempt, Delivery, Webhook

__all__ = [
    "Address",
    "ApiKey",
    "Attempt",
    "Base",
    "Client",
    "ClientType",
    "ContactLink",
    "ContactPerson",
    "Counter",
    "CustomField",
    "Delivery",
    "Event",
    "ExternalId",
    "IdempotencyKey",
    "Order",
    "Organization",
    "Webhook",
]
