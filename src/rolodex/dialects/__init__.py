"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

from rolodex.dialects.customers_v1 import routes as customers_v1
from rolodex.dialects.recras import errors as recras_errors
from rolodex.dialects.recras import routes as recras
from rolodex.dialects.summit import routes as summit
from rolodex.dialects.timewave import routes as timewave

# Summit (seeds/001) at /api/clients, customers & orders v1.0 (seeds/002) at /v1.0/customers,
# TimeWave (seeds/003) at /v3/clients, Recras (seeds/004) at /api2/klanten and /api2/contacten.
ROUTERS: list[APIRouter] = [summit.router, customers_v1.router, timewave.router, recras.router]

# Path prefix -> the status a dialect's document gives input errors, when not 400 (the server's
# input guard, which refuses some input before any route runs, answers with it too).
INPUT_ERROR_STATUS: dict[str, int] = {"/api2/": recras_errors.INPUT_ERROR}
