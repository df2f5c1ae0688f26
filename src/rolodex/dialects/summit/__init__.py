"""The Summit clients API (seeds/001) at /api/clients."""
