"""The customers & orders API v1.0 (seeds/002) at /v1.0/customers."""
