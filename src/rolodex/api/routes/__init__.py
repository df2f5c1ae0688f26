"""The native API's routers, in the order they are mounted."""

from fastapi import APIRouter

from rolodex.api.routes import clients, clients_sync

# clients_sync first: its fixed paths (/clients/export, ...) must win over /clients/{client_id}.
ROUTERS: list[APIRouter] = [clients_sync.router, clients.router]
