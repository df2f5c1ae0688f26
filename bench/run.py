"""`make bench`: Rolodex against the framework floor, scenario by scenario, in the same run.

    python -m bench.run --size 1000000 [--duration 15] [--rounds 3] [--only get,list]

Loads (or reuses) the dataset in the dedicated PostgreSQL database `rolodex_bench`, starts
Rolodex (`rolodex serve --workers 2`, rate limit off, connected to PostgreSQL over its Unix
socket when the server is on this machine, as pgbench connects; `--tcp` for TCP) and the floor
app (`python -m bench.floor_app`: uvicorn, 2 workers each on its own socket as Rolodex's, no
access log) on 127.0.0.1, and for every scenario runs `wrk -t1 -c32` against the floor and
against Rolodex in alternating rounds (3 of 5 seconds each, after a warm-up), polling the RSS of
each server's worker processes meanwhile and taking the CPU time of those workers and of every
PostgreSQL process before and after each run (CPU per request). Prints a table, merges the
figures into
bench/results/latest.json (one entry per scenario and dataset size) and redraws
bench/results/latency.png from every size measured so far.

The create scenario also runs against the write floor (`bench.write_floor`: Rolodex's own two
statements for the same create on bare asyncpg, with no validation, key or middleware), in the
same rounds: what any implementation of that create could reach on this machine.

Traffic is bounded: every wrk run is duration-limited and aimed at 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
from sqlalchemy.engine import URL, make_url

from bench import dataset, lua
from rolodex.api.app import BASE_PATH
from rolodex.core import listing
from rolodex.core.clients import repository as clients_repository

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"  # the only address the benchmark ever sends traffic to
ADMIN_URL = os.environ.get(
    "ROLODEX_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = os.environ.get("ROLODEX_BENCH_DB", "rolodex_bench")
# The list the list scenarios walk: every client that is not closed, by name.
LIST_PARAMS = [("status", "ACTIVE,PROSPECT,INACTIVE"), ("sort", "name"), ("limit", "50")]
DEEP_ROW = 900_000


def log(message: str) -> None:
    print(message, flush=True)


def socket_dir(admin_url: str) -> str | None:
    """The directory of the PostgreSQL server's Unix socket when that server runs on this
    machine (its URL names a loopback host and the socket file is here), else None."""
    parts = urlsplit(admin_url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    directories = asyncio.run(_show(admin_url, "unix_socket_directories"))
    socket = f".s.PGSQL.{parts.port or 5432}"
    found = [d.strip() for d in directories.split(",")]
    return next((d for d in found if d and Path(d, socket).exists()), None)


async def _show(url: str, setting: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        value: str = await conn.fetchval(f"SHOW {setting}")
        return value
    finally:
        await conn.close()


def serve_url(dsn: str, directory: str | None) -> str:
    """The database URL Rolodex is served with: `dsn` itself over TCP, or the same server,
    user and database over the Unix socket in `directory`.

    The socket is how a service beside its database connects, and pgbench's default: over
    TCP on the loopback, each round trip also costs both processes the kernel's TCP path.
    On this 2-core machine that took a sixth of GET's throughput (3,270/s over TCP, 3,940/s
    over the socket, the same server and dataset one after the other). `--tcp` measures TCP.
    """
    if directory is None:
        return dsn
    url = make_url(dsn)
    # Host and port as parameters: asyncpg reads `user@:5432` as a host named "".
    socket = {"host": directory, "port": str(url.port or 5432)}
    return URL.create(
        url.drivername,
        username=url.username,
        password=url.password,
        database=url.database,
        query={**url.query, **socket},
    ).render_as_string(hide_password=False)


@dataclass
class Scenario:
    name: str
    title: str
    kind: str  # a lua.BODIES key
    lines: list[str]
    # Seconds of warm-up for this scenario, when it needs more than --warmup.
    warmup: float = 0.0
    # Ask each line once, one at a time, before the rounds (`cold_searches`).
    cold: bool = False
    # Scenarios with the same group run their rounds interleaved (`_measure`).
    group: str = ""


@dataclass
class Result:
    scenario: str
    clients: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    floor_rps: float
    floor_p50_ms: float
    floor_p99_ms: float
    ratio: float
    rss_mib: float
    floor_rss_mib: float
    errors: int
    requests: int
    rounds: int = 1
    refused: dict[str, int] = field(default_factory=dict)  # status -> answers (writes only)
    # Searches only: each fragment asked once, one at a time, before any warm-up (the cost of
    # a search no process has answered in this database state: core/search_cache.py).
    cold_p50_ms: float | None = None
    cold_p95_ms: float | None = None
    # CPU per request over the rounds, in ms: the server's workers, and every PostgreSQL
    # process (the server's backends, and whatever else PostgreSQL did meanwhile).
    cpu_ms: float | None = None
    db_cpu_ms: float | None = None
    floor_cpu_ms: float | None = None
    # How Rolodex reached PostgreSQL: "unix socket" or "tcp" (see `serve_url`).
    db_via: str | None = None
    # Create only: the write floor (bench/write_floor.py) in the same rounds, its requests/s
    # and its ratio to the floor, and its CPU per request (its workers, PostgreSQL).
    write_floor_rps: float | None = None
    write_floor_ratio: float | None = None
    write_floor_cpu_ms: float | None = None
    write_floor_db_cpu_ms: float | None = None


# ---------------------------------------------------------------- preparing the inputs


async def prepare(dsn: str, data: dataset.Dataset, size: int) -> dict[str, Any]:
    """A key, sample ids, PATCH targets with their versions, deep cursors and search fragments."""
    org_id, loaded = data.organizations[0]
    conn = await asyncpg.connect(dsn)
    try:
        # Undo what earlier runs wrote: clients created by POST scenarios.
        await conn.execute(
            "DELETE FROM clients WHERE organization_id = $1 AND number > $2", org_id, loaded
        )
        # Earlier runs' PATCHes and deletes leave dead rows and pages the visibility map no
        # longer vouches for: a list's count then reads the table (52,000 heap fetches, 4 times
        # slower, at 100,000 clients). Start every run as the first one after the load does.
        await conn.execute("VACUUM (ANALYZE) clients, contact_persons, client_contact_persons")
        key = await _make_key(dsn, org_id)
        ids = await _sample_ids(conn, org_id, 20000, loaded)
        deep_row, cursors = await _deep_cursors(conn, org_id, size)
        names = await conn.fetch(
            "SELECT name FROM clients WHERE organization_id = $1 AND number % $2 = 0 LIMIT 400",
            org_id,
            max(1, loaded // 400),
        )
    finally:
        await conn.close()
    fragments = _fragments([r["name"] for r in names])
    return {
        "org_id": org_id,
        "key": key,
        "ids": ids,
        "cursors": cursors,
        "deep_row": deep_row,
        "fragments": fragments,
    }


async def _sample_ids(conn: asyncpg.Connection, org_id: UUID, count: int, total: int) -> list[str]:
    """Random loaded clients of the organization (by number: no sort of the whole table)."""
    numbers = random.Random(7).sample(range(1, total + 1), min(count, total))
    rows = await conn.fetch(
        "SELECT id FROM clients WHERE organization_id = $1 AND number = ANY($2::int[])",
        org_id,
        numbers,
    )
    return [str(r["id"]) for r in rows]


async def _make_key(dsn: str, org_id: UUID) -> str:
    from rolodex.core.db import create_engine, session_factory, session_scope
    from rolodex.core.keys import service as keys_service
    from rolodex.settings import Settings

    engine = create_engine(Settings(database_url=dsn))
    try:
        async with session_scope(session_factory(engine)) as session:
            made = await keys_service.create(
                session, organization_id=org_id, scope="write", name="bench"
            )
            return made.secret
    finally:
        await engine.dispose()


async def _deep_cursors(conn: asyncpg.Connection, org_id: UUID, size: int) -> tuple[int, list[str]]:
    """Cursors at rows past DEEP_ROW (or 90% of a smaller list) of the list scenario's query."""
    query = listing.parse_list_query(clients_repository.LIST_SPEC, LIST_PARAMS)
    statuses = LIST_PARAMS[0][1].split(",")
    matching = await conn.fetchval(
        "SELECT count(*) FROM clients WHERE organization_id = $1 AND status = ANY($2::text[]) "
        "AND deleted_at IS NULL",
        org_id,
        statuses,
    )
    row = DEEP_ROW if matching > DEEP_ROW + 2000 else int(matching * 0.9)
    rows = await conn.fetch(
        "SELECT name, id FROM clients WHERE organization_id = $1 AND status = ANY($2::text[]) "
        "AND deleted_at IS NULL ORDER BY name, id OFFSET $3 LIMIT 2000",
        org_id,
        statuses,
        row,
    )
    return row, [listing.encode_cursor(query, (r["name"], r["id"])) for r in rows[::100]]


def _fragments(names: list[str]) -> list[str]:
    """Pieces of real names: a word's first 5 letters, or a 4-letter slice of it."""
    rng = random.Random(3)
    out = []
    for name in names:
        words = [w for w in name.replace(",", " ").split() if len(w) >= 5 and w.isalpha()]
        if not words:
            continue
        word = rng.choice(words).lower()
        start = rng.randrange(0, len(word) - 3)
        out.append(word[:5] if rng.random() < 0.5 else word[start : start + 4])
    return sorted(set(out))


def scenarios(inputs: dict[str, Any], *, contacts: bool) -> list[Scenario]:
    from urllib.parse import quote, urlencode

    listing_query = urlencode(LIST_PARAMS)
    return [
        Scenario("get", "GET one client by id", "get", inputs["ids"]),
        # Interleaved: the cursor page's target is a ratio to the first page's time.
        Scenario(
            "list_first_page",
            "first page (50), filtered + sorted",
            "path",
            [f"/clients?{listing_query}"],
            group="list pages",
        ),
        Scenario(
            "list_deep_cursor",
            f"cursor page past row {inputs['deep_row']:,}",
            "path",
            [f"/clients?{listing_query}&cursor={c}" for c in inputs["cursors"]],
            group="list pages",
        ),
        Scenario(
            "search_q",
            "q search by a name fragment",
            "path",
            [f"/clients?q={quote(f)}&limit=20" for f in inputs["fragments"]],
            # Long enough for both workers to have answered every fragment (at about 70 first
            # searches a second): the rounds then measure searches asked again, as a search
            # box's are. The first time of each is measured apart, by `cold_searches`.
            warmup=15,
            cold=True,
        ),
        Scenario(
            "create",
            "POST a client" + (" with two contact persons" if contacts else ""),
            "post",
            [],
        ),
        Scenario("patch", "PATCH a client with If-Match", "patch", []),
    ]


async def patch_lines(dsn: str, org_id: UUID, ids: list[str], run: int = 0) -> list[str]:
    """'id version' for each sampled client, read just before the PATCH run.

    Each run starts at another fifth of the sample: the PATCHes still under way when a run
    ends (up to one per connection) complete after the next run has read the versions, and
    would make that run's first If-Match on the same clients stale (a 412 each)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT id, version FROM clients WHERE organization_id = $1 AND id = ANY($2::uuid[]) "
            "AND deleted_at IS NULL",
            org_id,
            ids,
        )
    finally:
        await conn.close()
    lines = [f"{r['id']} {r['version']}" for r in rows]
    start = run * len(lines) // 5 % max(1, len(lines))
    return lines[start:] + lines[:start]


# ---------------------------------------------------------------- servers


class Server:
    """A uvicorn server (master + workers) started for the run, stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int) -> None:
        self.name, self.port = name, port
        self.proc = subprocess.Popen(  # noqa: S603 - our own commands
            argv,
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(RESULTS / f"{name}.log", "w"),  # noqa: SIM115 - lives as long as the server
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see bench/results/{self.name}.log")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}{path}", timeout=2):
                    pass
                if self.listening() >= 2:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start; see bench/results/{self.name}.log")

    def workers(self) -> list[int]:
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        # uvicorn's multiprocess mode may add a resource tracker; workers are the big ones.
        return [c.pid for c in children if "resource_tracker" not in " ".join(c.cmdline())]

    def listening(self) -> int:
        """How many workers listen on the port. Each has a socket of its own (cli/workers.py):
        until one listens, the kernel hands every new connection to the others."""
        import psutil

        count = 0
        for pid in self.workers():
            try:
                found = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:  # gone meanwhile
                continue
            listens = (c.laddr.port == self.port and c.status == psutil.CONN_LISTEN for c in found)
            count += any(listens)
        return count

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class RssPoller:
    """Peak resident memory of each worker process, polled while wrk runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak: dict[int, int] = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssPoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                try:
                    with open(f"/proc/{pid}/status") as status:
                        for line in status:
                            if line.startswith("VmRSS:"):
                                kib = int(line.split()[1])
                                self.peak[pid] = max(self.peak[pid], kib)
                                break
                except OSError:
                    pass
            self._stop.wait(0.2)

    @property
    def max_mib(self) -> float:
        return max(self.peak.values(), default=0) / 1024


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU time so far of each of these processes that is still running."""
    spent = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        spent[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return spent


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings: processes that started meanwhile count in full, and
    those that ended meanwhile not at all (/proc no longer has them), never less than zero."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on this machine (the benchmark's server is the local one)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


# ---------------------------------------------------------------- wrk


def run_wrk(
    server: Server,
    scenario: Scenario,
    key: str,
    seconds: int,
    connections: int,
    *,
    contacts: bool,
    workdir: Path,
    tag: str,
) -> tuple[dict[str, Any], float]:
    """One duration-limited wrk run against 127.0.0.1; answers its figures (with the CPU
    seconds of the server's workers and of PostgreSQL during the run) and the peak RSS."""
    lines_file = workdir / f"{scenario.name}.lines"
    lines_file.write_text("\n".join(scenario.lines) + "\n" if scenario.lines else "")
    out = workdir / f"{scenario.name}-{server.name}-{tag}.json"
    script = workdir / f"{scenario.name}.lua"
    script.write_text(
        lua.script(
            scenario.kind,
            base=BASE_PATH,
            out=str(out),
            lines=str(lines_file) if scenario.lines else "",
            key=key,
            run_id=f"{server.name[0]}{tag}{int(time.time() * 1000) % 10**9}",
            seed=int(time.time()) % 100000,
            contacts="true" if contacts else "false",
        )
    )
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://{HOST}:{server.port}",
    ]
    workers = server.workers()
    app_before, db_before = cpu_seconds(workers), cpu_seconds(postgres_pids())
    with RssPoller(workers) as rss:
        subprocess.run(argv, check=True, capture_output=True, timeout=seconds + 60)  # noqa: S603
    figures = json.loads(out.read_text())
    figures["cpu_s"] = cpu_spent(app_before, cpu_seconds(workers))
    # Backends that PostgreSQL started during the run (autovacuum, a pool's new connection)
    # count too; one that ended during it took its CPU time with it.
    figures["db_cpu_s"] = cpu_spent(db_before, cpu_seconds(postgres_pids()))
    return figures, rss.max_mib


# ---------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="clients in the largest org")
    parser.add_argument(
        "--duration", type=int, default=15, help="measured seconds per scenario and server"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument("--port", type=int, default=8701, help="Rolodex; the floor uses port+1")
    parser.add_argument(
        "--keep-running", action="store_true", help="leave the servers up (profiling)"
    )
    parser.add_argument(
        "--tcp",
        action="store_true",
        help="serve Rolodex with PostgreSQL over TCP (default: its Unix socket when local)",
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        log("wrk is not installed (make bench installs it from Debian)")
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    dsn = ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
    started = time.perf_counter()
    data = asyncio.run(dataset.ensure_dataset(ADMIN_URL, dsn, DB_NAME, args.size, log))
    log(f"dataset ready in {time.perf_counter() - started:.1f} s")
    asyncio.run(dataset.warm(dsn, log))
    inputs = asyncio.run(prepare(dsn, data, args.size))
    directory = None if args.tcp else socket_dir(ADMIN_URL)
    db_via = "tcp" if directory is None else "unix socket"
    log(f"Rolodex reaches PostgreSQL over {'TCP' if directory is None else directory}")

    rolodex = Server(
        "rolodex",
        [
            str(Path(sys.executable).parent / "rolodex"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        {
            "ROLODEX_DATABASE_URL": serve_url(dsn, directory),
            "ROLODEX_RATE_LIMIT_ENABLED": "false",
            "ROLODEX_LOG_LEVEL": "warning",
        },
        args.port,
    )
    floor: Server | None = None
    writes: Server | None = None
    try:
        rolodex.wait_ready("/readyz")
        body_file = RESULTS / "floor_body.json"
        body, contacts = _capture(args.port, inputs)
        body_file.write_bytes(body)
        floor = Server(
            "floor",
            [
                sys.executable,
                "-m",
                "bench.floor_app",
                "--host",
                HOST,
                "--port",
                str(args.port + 1),
                "--workers",
                str(args.workers),
            ],
            {"ROLODEX_FLOOR_BODY": str(body_file)},
            args.port + 1,
        )
        floor.wait_ready("/")
        if contacts and _chosen(args, "create"):
            writes = _write_floor(args, inputs, serve_url(dsn, directory))
        results = _measure(args, rolodex, floor, writes, inputs, dsn, contacts, data)
        for result in results:
            result.db_via = db_via
        if args.keep_running:
            log(f"servers left running: rolodex pid {rolodex.proc.pid}, floor pid {floor.proc.pid}")
            input("press Enter to stop them ")
        _report(results, args.size)  # before the cleanup, so a slow cleanup loses no figures
    finally:
        rolodex.stop()
        for other in (floor, writes):
            if other is not None:
                other.stop()
        asyncio.run(_cleanup(dsn, data))
    return 0


def _capture(port: int, inputs: dict[str, Any]) -> tuple[bytes, bool]:
    """One real client response (the floor's body), and whether contact persons exist yet."""
    request = urllib.request.Request(
        f"http://{HOST}:{port}{BASE_PATH}/clients/{inputs['ids'][0]}",
        headers={"Authorization": f"Bearer {inputs['key']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    with urllib.request.urlopen(f"http://{HOST}:{port}/openapi.json", timeout=10) as response:
        paths = json.loads(response.read())["paths"]
    contacts = any(p.endswith("/contact-persons") for p in paths)
    return body, contacts


def _chosen(args: argparse.Namespace, name: str) -> bool:
    only = {s for s in args.only.split(",") if s}
    return not only or name in only


def _write_floor(args: argparse.Namespace, inputs: dict[str, Any], database_url: str) -> Server:
    """The write floor (bench/write_floor.py), serving the statements of a create captured
    through Rolodex in this process, on port + 2."""
    from bench import write_floor

    spec = asyncio.run(write_floor.capture(database_url, inputs["key"]))
    spec_file = RESULTS / "write_floor_spec.json"
    spec_file.write_text(json.dumps(spec))
    server = Server(
        "writes",
        [
            sys.executable,
            "-m",
            "bench.write_floor",
            "--host",
            HOST,
            "--port",
            str(args.port + 2),
            "--workers",
            str(args.workers),
        ],
        {
            "ROLODEX_WRITE_FLOOR_SPEC": str(spec_file),
            "ROLODEX_WRITE_FLOOR_DSN": make_url(database_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False),
        },
        args.port + 2,
    )
    server.wait_ready("/readyz")
    return server


def _measure(
    args: argparse.Namespace,
    rolodex: Server,
    floor: Server,
    writes: Server | None,
    inputs: dict[str, Any],
    dsn: str,
    contacts: bool,
    data: dataset.Dataset,
) -> list[Result]:
    """Each scenario in `args.rounds` rounds, the two servers alternating (the floor first in
    the first round, Rolodex first in the next, ...), each run a fresh set of connections.

    Rounds, because the machine's other work comes and goes: several runs of each server,
    alternating, give both the same chances. Scenarios of one group (the two list pages, whose
    target compares their times) take their rounds in turn too, so that a slower stretch of
    the machine falls on both rather than on whichever ran second. (Both servers' workers
    listen on sockets of their own, cli/workers.py, so each gets about half of the 32
    connections; on uvicorn's one shared socket a run could see 26 and 6, or 29 and 3.)
    `writes`, the write floor, takes its turn after Rolodex in the create scenario's rounds."""
    seconds = max(1, round(args.duration / args.rounds))
    chosen = [s for s in scenarios(inputs, contacts=contacts) if _chosen(args, s.name)]
    results = []
    with tempfile.TemporaryDirectory(prefix="rolodex-bench-") as tmp:
        workdir = Path(tmp)
        for group in _groups(chosen):
            log(" and ".join(scenario.title for scenario in group) + " ...")
            runs: dict[str, dict[str, list[tuple[dict[str, Any], float]]]] = {
                scenario.name: {"floor": [], "rolodex": [], "writes": []} for scenario in group
            }
            colds = {
                scenario.name: cold_searches(rolodex, scenario, inputs["key"])
                for scenario in group
                if scenario.cold
            }
            started = 0
            for round_ in range(args.rounds):
                for scenario in group:
                    warmup = max(args.warmup, scenario.warmup)
                    servers = [floor, rolodex]
                    if writes is not None and scenario.name == "create":
                        servers.append(writes)
                    for server in servers if round_ % 2 == 0 else servers[::-1]:
                        for tag, length in ([("w", warmup)] if round_ == 0 else []) + [
                            (f"m{round_}", seconds)
                        ]:
                            if scenario.kind == "patch":
                                scenario.lines = asyncio.run(
                                    patch_lines(dsn, inputs["org_id"], inputs["ids"], started)
                                )
                                started += 1
                            figures = run_wrk(
                                server,
                                scenario,
                                inputs["key"],
                                length,
                                args.connections,
                                contacts=contacts,
                                workdir=workdir,
                                tag=tag,
                            )
                            if tag != "w":
                                runs[scenario.name][server.name].append(figures)
            for scenario in group:
                r = _result(scenario, data.size, runs[scenario.name])
                results.append(r)
                log(f"  {scenario.name}:")
                if scenario.name in colds:
                    r.cold_p50_ms, r.cold_p95_ms = colds[scenario.name]
                    log(
                        f"  rolodex, each fragment once: p50 {r.cold_p50_ms:.1f} ms "
                        f"p95 {r.cold_p95_ms:.1f} ms"
                    )
                log(
                    f"  rolodex {r.rps:,.0f}/s p50 {r.p50_ms:.1f} ms p99 {r.p99_ms:.1f} ms; "
                    f"floor {r.floor_rps:,.0f}/s; ratio {r.ratio:.1%}; errors {r.errors} "
                    f"{r.refused or ''}"
                )
                log(
                    f"  CPU per request: rolodex {r.cpu_ms:.3f} ms + PostgreSQL "
                    f"{r.db_cpu_ms:.3f} ms; floor {r.floor_cpu_ms:.3f} ms"
                )
                if r.write_floor_rps is not None:
                    log(
                        f"  write floor {r.write_floor_rps:,.0f}/s ({r.write_floor_ratio:.1%} of "
                        f"the floor); CPU per request {r.write_floor_cpu_ms:.3f} ms + "
                        f"PostgreSQL {r.write_floor_db_cpu_ms:.3f} ms"
                    )
    return results


def _groups(chosen: list[Scenario]) -> list[list[Scenario]]:
    """The scenarios in order, those of one group (consecutive) together."""
    groups: list[list[Scenario]] = []
    for scenario in chosen:
        if groups and scenario.group and groups[-1][0].group == scenario.group:
            groups[-1].append(scenario)
        else:
            groups.append([scenario])
    return groups


def cold_searches(server: Server, scenario: Scenario, key: str) -> tuple[float, float]:
    """p50 and p95 in ms of the scenario's paths asked once each, one at a time, on one
    connection: every one a search the server has not answered before."""
    import http.client

    times = []
    conn = http.client.HTTPConnection(HOST, server.port, timeout=60)
    try:
        for line in scenario.lines:
            started = time.perf_counter()
            conn.request("GET", BASE_PATH + line, headers={"Authorization": f"Bearer {key}"})
            answer = conn.getresponse()
            answer.read()
            times.append((time.perf_counter() - started) * 1000)
            if answer.status != 200:
                raise RuntimeError(f"{line}: {answer.status}")
    finally:
        conn.close()
    cuts = statistics.quantiles(times, n=100)
    return round(cuts[49], 2), round(cuts[94], 2)


def _result(
    scenario: Scenario, size: int, runs: dict[str, list[tuple[dict[str, Any], float]]]
) -> Result:
    """The rounds together: requests/s over all of them, each percentile their median."""

    def rps(name: str) -> float:
        requests = sum(f["requests"] for f, _ in runs[name])
        return requests / (sum(f["duration_us"] for f, _ in runs[name]) / 1e6)

    def ms(name: str, key: str) -> float:
        return round(statistics.median(f[key] for f, _ in runs[name]) / 1000, 2)

    def cpu_ms(name: str, key: str) -> float:
        requests = sum(f["requests"] for f, _ in runs[name])
        return round(sum(f[key] for f, _ in runs[name]) / max(requests, 1) * 1000, 3)

    ours = [f for f, _ in runs["rolodex"]]
    refused: dict[str, int] = {}
    for figures in ours:
        for status, count in figures.get("refused", {}).items():
            refused[status] = refused.get(status, 0) + count
    result = Result(
        scenario=scenario.name,
        clients=size,
        rps=round(rps("rolodex"), 1),
        p50_ms=ms("rolodex", "p50_us"),
        p95_ms=ms("rolodex", "p95_us"),
        p99_ms=ms("rolodex", "p99_us"),
        floor_rps=round(rps("floor"), 1),
        floor_p50_ms=ms("floor", "p50_us"),
        floor_p99_ms=ms("floor", "p99_us"),
        ratio=round(rps("rolodex") / rps("floor"), 4),
        rss_mib=round(max(rss for _, rss in runs["rolodex"]), 1),
        floor_rss_mib=round(max(rss for _, rss in runs["floor"]), 1),
        errors=sum(f["status_errors"] + f["socket_errors"] + f["timeouts"] for f in ours),
        requests=sum(f["requests"] for f in ours),
        rounds=len(ours),
        refused=refused,
        cpu_ms=cpu_ms("rolodex", "cpu_s"),
        db_cpu_ms=cpu_ms("rolodex", "db_cpu_s"),
        floor_cpu_ms=cpu_ms("floor", "cpu_s"),
    )
    if runs.get("writes"):  # the create scenario: the write floor ran too
        result.write_floor_rps = round(rps("writes"), 1)
        result.write_floor_ratio = round(rps("writes") / rps("floor"), 4)
        result.write_floor_cpu_ms = cpu_ms("writes", "cpu_s")
        result.write_floor_db_cpu_ms = cpu_ms("writes", "db_cpu_s")
    return result


async def _cleanup(dsn: str, data: dataset.Dataset) -> None:
    org_id, loaded = data.organizations[0]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "DELETE FROM clients WHERE organization_id = $1 AND number > $2", org_id, loaded
        )
    finally:
        await conn.close()


# ---------------------------------------------------------------- output


def _report(results: list[Result], size: int) -> None:
    from bench import report

    report.print_table(results)
    merged = report.merge(RESULTS / "latest.json", [asdict(r) for r in results], size)
    report.chart(merged, RESULTS / "latency.png")
    log(f"wrote {RESULTS / 'latest.json'} and {RESULTS / 'latency.png'}")


if __name__ == "__main__":
    raise SystemExit(main())
