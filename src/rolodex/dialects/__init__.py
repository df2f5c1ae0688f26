"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

from rolodex.dialects.customers_v1 import routes as customers_v1
from rolodex.dialects.recras import routes as recras
from rolodex.dialects.summit import routes as summit
from rolodex.dialects.timewave import routes as timewave

# Summit (seeds/001) at /api/clients, customers & orders v1.0 (seeds/002) at /v1.0/customers,
# TimeWave (seeds/003) at /v3/clients, Recras (seeds/004) at /api2/klanten and /api2/contacten.
ROUTERS: list[APIRouter] = [summit.router, customers_v1.router, timewave.router, recras.router]
