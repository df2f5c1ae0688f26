"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

from rolodex.dialects.summit import routes as summit
from rolodex.dialects.timewave import routes as timewave

ROUTERS: list[APIRouter] = [summit.router, timewave.router]
