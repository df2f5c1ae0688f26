"""`rolodex serve --workers N`: each worker accepts on a socket of its own (cli/workers.py)."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

import httpx
import psutil
import pytest
from tests.servers import Server

from rolodex.cli import workers

pytestmark = pytest.mark.skipif(not workers.SUPPORTED, reason="needs SO_REUSEPORT")


def test_listeners_share_one_port() -> None:
    sockets = workers.listeners("127.0.0.1", 0, 3)
    try:
        assert len({sock.getsockname()[1] for sock in sockets}) == 1
        assert all(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def test_a_taken_port_is_refused() -> None:
    with socket.socket() as taken:  # bound without SO_REUSEPORT: nobody may share it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            workers.listeners("127.0.0.1", taken.getsockname()[1], 2)


def _connections(pid: int, port: int) -> int:
    return sum(
        1
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.laddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED
    )


def _listening(pid: int, port: int) -> bool:
    try:
        found = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:  # gone, or a zombie not reaped yet
        return False
    return any(c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in found)


def _workers(server: Server) -> list[int]:
    """The server's worker processes that listen on its port."""
    children = psutil.Process(server.process.pid).children()
    return [c.pid for c in children if _listening(c.pid, server.port)]


async def _both_listening(server: Server) -> list[int]:
    await server.wait_ready()
    deadline = time.monotonic() + 30
    while len(_workers(server)) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    pids = _workers(server)
    assert len(pids) == 2
    return pids


async def _hold_connections(server: Server, count: int) -> list[socket.socket]:
    """`count` keep-alive connections opened at once, each having had one answer."""

    async def one() -> socket.socket:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: rolodex\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        sock: socket.socket = writer.get_extra_info("socket").dup()
        writer.close()  # the dup keeps the connection open
        return sock

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def test_connections_spread_over_the_workers(tmp_path: Path) -> None:
    """Two workers, 32 connections opened at once: each worker holds a share. On uvicorn's
    one shared socket, one worker took 29 of wrk's 32 (cli/workers.py)."""
    server = Server(f"sqlite:///{tmp_path / 'r.db'}", tmp_path, workers=2)
    try:
        pids = await _both_listening(server)
        held = await _hold_connections(server, 32)
        try:
            counts = [_connections(pid, server.port) for pid in pids]
        finally:
            for sock in held:
                sock.close()
        assert sum(counts) == 32
        # By the kernel's hash each gets 16 on average; fewer than 4 is a one-in-a-million.
        assert min(counts) >= 4, counts
    finally:
        server.stop()


async def test_a_dead_worker_is_replaced_and_sigterm_stops_all(tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'r.db'}", tmp_path, workers=2)
    try:
        first = await _both_listening(server)
        psutil.Process(first[0]).kill()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _workers(server)
            if len(now) == 2 and first[0] not in now:
                break
            await asyncio.sleep(0.1)
        assert first[0] not in _workers(server) and len(_workers(server)) == 2
        # Every connection is answered, whichever socket the kernel gives it to.
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for _ in range(40):
                async with httpx.AsyncClient(base_url=server.url, timeout=10) as fresh:
                    assert (await fresh.get("/healthz")).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
        children = _workers(server)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(30) == 0
        assert not any(psutil.pid_exists(pid) for pid in children)
    finally:
        server.stop()
