"""The TimeWave clients register (seeds/003) at /v3/clients."""
