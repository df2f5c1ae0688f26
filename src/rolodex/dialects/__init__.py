"""Vendor dialects: translators from each vendor's wire format to the core services."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
