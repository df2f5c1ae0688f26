"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

from rolodex.dialects.recras import routes as recras
from rolodex.dialects.summit import routes as summit

# Summit's clients (seeds/001) at /api/clients; Recras' customers (seeds/004) at /api2.
ROUTERS: list[APIRouter] = [summit.router, recras.router]
