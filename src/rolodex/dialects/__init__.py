"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

from rolodex.dialects.recras import errors as recras_errors
from rolodex.dialects.recras import routes as recras
from rolodex.dialects.summit import routes as summit

# Summit's clients (seeds/001) at /api/clients; Recras' customers (seeds/004) at /api2.
ROUTERS: list[APIRouter] = [summit.router, recras.router]

# Path prefix -> the status a dialect's document gives input errors (the server's input guard,
# which refuses some input before any route runs, answers with it too).
INPUT_ERROR_STATUS: dict[str, int] = {"/api2/": recras_errors.INPUT_ERROR}
