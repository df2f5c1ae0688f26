"""The native API's routers, in the order they are mounted."""

from fastapi import APIRouter

from rolodex.api.routes import (
    addresses,
    client_types,
    clients,
    contacts,
    custom_fields,
    events,
    orders,
    webhooks,
)

ROUTERS: list[APIRouter] = [
    clients.router,
    contacts.router,
    addresses.router,
    orders.router,
    client_types.router,
    custom_fields.router,
    events.router,
    webhooks.router,
]
