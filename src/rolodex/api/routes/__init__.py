"""The native API's routers, in the order they are mounted."""

from fastapi import APIRouter

from rolodex.api.routes import (
    addresses,
    client_types,
    clients,
    clients_sync,
    contacts,
    custom_fields,
    events,
    orders,
    webhooks,
)

# clients_sync first: its fixed paths (/clients/export, ...) must win over /clients/{client_id}.
ROUTERS: list[APIRouter] = [
    clients_sync.router,
    clients.router,
    contacts.router,
    addresses.router,
    orders.router,
    client_types.router,
    custom_fields.router,
    events.router,
    webhooks.router,
]
