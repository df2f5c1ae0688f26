"""The floor: a bare FastAPI app answering a fixed client-sized JSON body to every request.

Served exactly as Rolodex is (uvicorn, the same number of workers, no access log), it shows
what the framework and server cost on their own, on this machine, in this run. The body is a
real client response captured by `bench.run` (ROLODEX_FLOOR_BODY names the file).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

_FALLBACK = b'{"id": "0192f0c4-0000-7000-8000-000000000000", "name": "Acme"}'


def _body() -> bytes:
    path = os.environ.get("ROLODEX_FLOOR_BODY")
    return Path(path).read_bytes() if path else _FALLBACK


BODY = _body()
app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.api_route("/{path:path}", methods=["GET", "POST", "PATCH"])
async def answer(path: str) -> Response:
    """The same bytes for every request."""
    return Response(BODY, media_type="application/json")
