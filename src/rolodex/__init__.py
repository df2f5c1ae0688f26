"""Rolodex: a client master-data service."""
