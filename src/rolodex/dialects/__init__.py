"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

from rolodex.api.middleware import InputErrorRenderer, native_input_error
from rolodex.dialects.customers_v1 import routes as customers_v1
from rolodex.dialects.recras import errors as recras_errors
from rolodex.dialects.recras import routes as recras
from rolodex.dialects.summit import routes as summit
from rolodex.dialects.timewave import errors as timewave_errors
from rolodex.dialects.timewave import routes as timewave

# Summit (seeds/001) at /api/clients, customers & orders v1.0 (seeds/002) at /v1.0/customers,
# TimeWave (seeds/003) at /v3/clients, Recras (seeds/004) at /api2/klanten and /api2/contacten.
ROUTERS: list[APIRouter] = [summit.router, customers_v1.router, timewave.router, recras.router]

# Path prefix -> how a dialect answers what the server's input guard refuses before any route
# runs (NUL characters, lone surrogates, JSON nested too deeply), when not the native 400:
# Recras' 406 with the native DTO; TimeWave's Laravel-style 422 (a NUL in the path: 404).
INPUT_ERRORS: dict[str, InputErrorRenderer] = {
    "/api2/": native_input_error(recras_errors.INPUT_ERROR),
    "/v3/": timewave_errors.guard_refusal,
}
