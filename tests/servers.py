"""Real `rolodex serve` processes on real sockets, for the concurrency and fault tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tests.conftest import Tenant, make_tenant

from rolodex.core.db import create_engine, dispose
from rolodex.settings import Settings

ROLODEX = str(Path(sys.executable).with_name("rolodex"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One `rolodex serve --workers N` process (1 unless told); its output goes to a log file."""

    def __init__(self, database_url: str, log_dir: Path, *, workers: int = 1, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        environment = {
            **os.environ,
            "ROLODEX_RATE_LIMIT_ENABLED": "false",
            "ROLODEX_LOG_LEVEL": "warning",
            # An ANALYZE commits, which moves the cluster's snapshot under a quiet_cluster test
            # (conftest.py) running beside these servers.
            "ROLODEX_ANALYZE_WITHOUT_AUTOVACUUM": "false",
            **env,
        }
        environment.pop("ROLODEX_REDIS_URL", None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    ROLODEX,
                    "serve",
                    "--database-url",
                    database_url,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                ],  # fmt: skip
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log()}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL, as an OOM killer or a pulled plug would."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


async def make_tenant_at(database_url: str, name: str = "Acme") -> Tenant:
    """An organization with one key per scope, in the database at `database_url`."""
    engine = create_engine(Settings(database_url=database_url))
    try:
        return await make_tenant(engine, name)
    finally:
        await dispose(engine)
