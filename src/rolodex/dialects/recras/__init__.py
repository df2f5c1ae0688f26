"""Recras customers (seeds/004) at /api2/klanten and /api2/contacten/{id}."""
