"""`rolodex serve --workers N`: N uvicorn servers, each accepting on a socket of its own.

uvicorn's own supervisor binds one listening socket and shares it: the worker whose event loop
wakes first accepts every connection waiting, so an integration's keep-alive connections pile
onto one worker. Measured here: of wrk's 32 connections to two workers, 29 went to one and 3
to the other, and the slowest GETs waited four times as long as the median one.

Here each worker listens on its own socket, bound to the same address with SO_REUSEPORT, and
the kernel spreads new connections over the sockets by a hash of their addresses, so each of
two workers gets about half. The sockets belong to this process, one per worker slot: a worker
that dies is started again on its slot's socket, and connections the kernel queued to it
meanwhile are answered by its successor. One that fails at startup (a broken app, settings the
app refuses) stops the whole server, as uvicorn's supervisor does. SIGINT and SIGTERM stop the
workers, each finishing the requests it has started, then this process.

SO_REUSEPORT admits any process of the same user to the address; the same user can stop the
server anyway. Without SO_REUSEPORT (not Linux or a BSD), `serve` uses uvicorn's supervisor.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")

SUPPORTED = hasattr(socket, "SO_REUSEPORT")


def listeners(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets bound to host:port with SO_REUSEPORT (port 0: one free port for all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _serve_one(options: dict[str, Any], sock: socket.socket) -> None:
    """A worker: one uvicorn server accepting on `sock` (runs in a spawned process)."""
    uvicorn.Server(uvicorn.Config(**options)).run(sockets=[sock])


def serve(options: dict[str, Any], workers: int) -> int:
    """Run `workers` servers made with uvicorn.Config(**options) until SIGINT or SIGTERM;
    answers the exit status (STARTUP_FAILURE when a worker could not start)."""
    config = uvicorn.Config(**options)  # the parent's logging, as uvicorn.run sets it up
    try:
        sockets = listeners(config.host, config.port, workers)
    except OSError as exc:
        log.error(exc)
        return STARTUP_FAILURE
    host, port = sockets[0].getsockname()[:2]
    log.info("Uvicorn running on http://%s:%d, %d workers (CTRL+C to quit)", host, port, workers)
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def start(slot: int) -> BaseProcess:
        process = context.Process(
            target=_serve_one, args=(options, sockets[slot]), name=f"rolodex-worker-{slot}"
        )
        process.start()
        log.info("Started worker process [%s]", process.pid)
        return process

    status = 0
    processes = [start(slot) for slot in range(workers)]
    try:
        while not stop.wait(0.5):
            for slot, process in enumerate(processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("Worker process [%s] failed to start; stopping", process.pid)
                    status = STARTUP_FAILURE
                    stop.set()
                    break
                log.warning("Worker [%s] died (%s); restarting", process.pid, process.exitcode)
                processes[slot] = start(slot)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests under way
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
        for sock in sockets:
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("Stopped the workers")
    return status
