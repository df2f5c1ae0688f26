"""The native API's routers, in the order they are mounted."""

from fastapi import APIRouter

from rolodex.api.routes import addresses, clients, contacts, events, webhooks

ROUTERS: list[APIRouter] = [
    clients.router,
    contacts.router,
    addresses.router,
    events.router,
    webhooks.router,
]
