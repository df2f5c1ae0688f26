"""Webhooks: endpoints that receive the change feed as signed POSTs, delivered by a worker."""
