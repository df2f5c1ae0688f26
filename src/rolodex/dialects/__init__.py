"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

from rolodex.dialects.customers_v1 import routes as customers_v1
from rolodex.dialects.summit import routes as summit

ROUTERS: list[APIRouter] = [summit.router, customers_v1.router]
"""The Summit clients API (seeds/001) at /api/clients; the customers & orders API v1.0
(seeds/002) at /v1.0/customers."""
