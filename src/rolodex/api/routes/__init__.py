"""The native API's routers, in the order they are mounted."""

from fastapi import APIRouter

from rolodex.api.routes import client_types, clients, custom_fields, orders

ROUTERS: list[APIRouter] = [
    clients.router,
    orders.router,
    client_types.router,
    custom_fields.router,
]
