"""The floor: a bare FastAPI app answering a fixed client-sized JSON body to every request.

Served exactly as Rolodex is (uvicorn, the same number of workers, each on its own socket as
`rolodex serve` runs them, no access log), it shows what the framework and server cost on
their own, on this machine, in this run. The body is a real client response captured by
`bench.run` (ROLODEX_FLOOR_BODY names the file).

    python -m bench.floor_app --port 8702 --workers 2
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


def serve(app: str, description: str, port: int) -> int:
    """Serve `app` ("module:attribute") as `rolodex serve` serves, from the command line's
    --host, --port (default `port`) and --workers."""
    import argparse

    from rolodex.cli import workers

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    options = {
        "app": app,
        "host": args.host,
        "port": args.port,
        "log_level": "warning",
        "access_log": False,
    }
    return workers.serve(options, args.workers)


if __name__ == "__main__":
    raise SystemExit(
        serve("bench.floor_app:app", "Serve the floor as `rolodex serve` serves.", 8702)
    )
