"""The native API's routers, in the order they are mounted."""

from fastapi import APIRouter

from rolodex.api.routes import clients, events, webhooks

ROUTERS: list[APIRouter] = [clients.router, events.router, webhooks.router]
