"""CSV import rate on PostgreSQL: `python -m bench.import_rate [--rows 100000]`.

Generates a CSV of N realistic clients, creates a scratch database (dropped afterwards), runs
`rolodex import clients` on it as a separate process and prints rows per second and that
process's peak memory (RSS). `--rerun` imports the same file again with `--upsert-by
externalId` (every row unchanged) and reports that rate too. The figures are written to
`bench/results/import_rate.json` (`--output`).

The processes write their bytecode to a scratch cache (PYTHONPYCACHEPREFIX) even where
PYTHONDONTWRITEBYTECODE is set, as an installed service would have it: otherwise every
`rolodex` process compiles its imports from source first (seconds on a busy machine).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

RESULTS = Path(__file__).parent / "results" / "import_rate.json"
SERVER = os.environ.get(
    "ROLODEX_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CITIES = ["Stockholm", "Oslo", "Amsterdam", "Berlin", "Leeds", "Utrecht", "Bergen", "Malmö"]
COUNTRIES = ["SE", "NO", "NL", "DE", "GB", "NL", "NO", "SE"]
WORDS = ["Nordic", "Acme", "Polar", "Delta", "Vista", "Granite", "Harbor", "Summit", "Cedar"]
KINDS = ["Construction", "Logistics", "Industries", "Services", "Rental", "Engineering"]
HEADER = [
    "name",
    "email",
    "externalId",
    "phone",
    "streetAndNumber",
    "postalCode",
    "city",
    "country",
    "status",
    "partnerType",
    "creditLimit",
    "paymentTerms",
    "tags",
    "metadata.segment",
    "externalIds.erp",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """N distinct, valid clients (unique emails and external ids)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for i in range(rows):
            place = rng.randrange(len(CITIES))
            name = f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i}"
            writer.writerow(
                [
                    name,
                    f"office{i}@client{i % 977}.example.com",
                    f"ERP-{i:08d}",
                    f"+46 8 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
                    f"Storgatan {rng.randrange(1, 200)}",
                    f"{rng.randrange(10000, 99999)}",
                    CITIES[place],
                    COUNTRIES[place],
                    rng.choice(["ACTIVE", "ACTIVE", "ACTIVE", "PROSPECT", "INACTIVE"]),
                    rng.choice(["CONSTRUCTION", "INDUSTRY", "OTHER"]),
                    rng.choice(["0", "5000", "25000", "100000.50"]),
                    rng.choice(["10", "30", "60"]),
                    rng.choice(["", "vip", "vip;north", "new"]),
                    rng.choice(["smb", "enterprise", "public"]),
                    str(1_000_000 + i),
                ]
            )


async def create_database() -> str:
    name = f"rolodex_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(SERVER.replace("+asyncpg", ""))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return SERVER.rsplit("/", 1)[0] + "/" + name


async def drop_database(url: str) -> None:
    conn = await asyncpg.connect(SERVER.replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


def rolodex(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("rolodex")), *args]


def child_env(cache: Path) -> dict[str, str]:
    """The environment of the `rolodex` processes: bytecode cached in `cache`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def timed_import(
    path: Path, org: str, url: str, env: dict[str, str], *extra: str
) -> tuple[float, float, float, dict[str, int]]:
    """Seconds, CPU seconds, peak RSS (MiB) and summary of one `rolodex import clients` run."""
    command = rolodex("import", "clients", str(path), "--org", org, "--json", "--database-url", url)
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"import failed ({status}): {output}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss / 1024, json.loads(output.strip().splitlines()[-1])


def report(
    label: str, rows: int, seconds: float, cpu: float, rss: float, summary: dict[str, int]
) -> dict[str, object]:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{label}: {summary}")
    print(
        f"  {seconds:.1f} s, {rows / seconds:,.0f} rows/s; importer CPU {cpu:.1f} s "
        f"({cpu / rows * 1e6:.0f} us/row); peak RSS {rss:.0f} MiB; load average {load} "
        f"on {os.cpu_count()} CPUs"
    )
    return {
        "run": label,
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "importer_cpu_seconds": round(cpu, 1),
        "peak_rss_mib": round(rss),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="an existing empty database (default: scratch)")
    parser.add_argument("--rerun", action="store_true", help="import the file a second time")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the figures go")
    args = parser.parse_args()
    url = args.database_url or asyncio.run(create_database())
    runs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "clients.csv"
            env = child_env(Path(tmp) / "pycache")
            started = time.perf_counter()
            generate(path, args.rows)
            size = path.stat().st_size / 2**20
            took = time.perf_counter() - started
            print(f"generated {args.rows} rows ({size:.1f} MiB) in {took:.1f} s")
            subprocess.run(
                rolodex("db", "upgrade", "--database-url", url),
                check=True,
                capture_output=True,
                env=env,
            )
            org = subprocess.run(
                rolodex("org", "create", "Bench", "--database-url", url),
                check=True,
                capture_output=True,
                text=True,
                env=env,
            ).stdout.strip()
            runs.append(report("import", args.rows, *timed_import(path, org, url, env)))
            if args.rerun:
                extra = ("--upsert-by", "externalId")
                runs.append(report("re-run", args.rows, *timed_import(path, org, url, env, *extra)))
    finally:
        if not args.database_url:
            asyncio.run(drop_database(url))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    measured = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "file_mib": round(size, 1),
        "runs": runs,
    }
    args.output.write_text(json.dumps(measured, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
