"""Benchmark output: a table, bench/results/latest.json, and the latency chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The targets of issue #6 (PostgreSQL, 1,000,000 clients, wrk -t1 -c32, 2 workers).
TARGETS: dict[str, str] = {
    "get": ">= 25% of floor, p99 < 20 ms",
    "list_first_page": ">= 6% of floor, p99 < 60 ms",
    "list_deep_cursor": "p50 within 20% of first page",
    "search_q": "p95 < 50 ms",
    "create": ">= 8% of floor",
    "patch": "",
}
RSS_TARGET_MIB = 150


def _cpu(r: Any) -> str:
    """Rolodex's workers + PostgreSQL, CPU ms per request (results before they were kept: '')."""
    if getattr(r, "cpu_ms", None) is None:
        return ""
    return f"{r.cpu_ms:.2f}+{r.db_cpu_ms:.2f}"


def print_table(results: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Rolodex vs the framework floor (same run)")
    for column in (
        "scenario",
        "clients",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "floor req/s",
        "ratio",
        "RSS MiB/worker",
        "CPU ms/req app+db",
        "errors",
        "target",
    ):
        table.add_column(column, justify="left" if column in ("scenario", "target") else "right")
    for r in results:
        table.add_row(
            r.scenario,
            f"{r.clients:,}",
            f"{r.rps:,.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.floor_rps:,.0f}",
            f"{r.ratio:.1%}",
            f"{r.rss_mib:.0f}",
            _cpu(r),
            str(r.errors),
            TARGETS.get(r.scenario, ""),
        )
    console = Console(width=200)
    console.print(table)
    for r in results:
        if getattr(r, "write_floor_rps", None) is not None:
            console.print(
                f"{r.scenario}, the write floor (the same statements on bare asyncpg, no "
                f"validation; bench/write_floor.py): {r.write_floor_rps:,.0f} req/s, "
                f"{r.write_floor_ratio:.1%} of the floor, CPU ms/req "
                f"{r.write_floor_cpu_ms:.2f}+{r.write_floor_db_cpu_ms:.2f}; Rolodex is "
                f"{r.rps / r.write_floor_rps:.0%} of it"
            )
        if getattr(r, "cold_p50_ms", None) is not None:
            console.print(
                f"{r.scenario}, each fragment asked once, one at a time (no search kept yet): "
                f"p50 {r.cold_p50_ms:.1f} ms, p95 {r.cold_p95_ms:.1f} ms"
            )


def merge(path: Path, rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """Replace this size's entries for the scenarios just measured; keep the rest."""
    existing: list[dict[str, Any]] = json.loads(path.read_text()) if path.exists() else []
    fresh = {(r["scenario"], r["clients"]) for r in rows}
    kept = [r for r in existing if (r["scenario"], r["clients"]) not in fresh]
    merged = sorted(kept + rows, key=lambda r: (r["clients"], r["scenario"]))
    path.write_text(json.dumps(merged, indent=2) + "\n")
    return merged


def markdown(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table (for the README)."""
    head = (
        "| scenario | clients | req/s | p50 ms | p95 ms | p99 ms | floor req/s | ratio | "
        "RSS MiB/worker |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    body = "".join(
        f"| {r['scenario']} | {r['clients']:,} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | "
        f"{r.get('p95_ms', 0):.1f} | {r['p99_ms']:.1f} | {r['floor_rps']:,.0f} | "
        f"{r['ratio']:.1%} | {r['rss_mib']:.0f} |\n"
        for r in rows
    )
    return head + body


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    """p50 and p99 of each scenario against the dataset size (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = sorted({r["scenario"] for r in rows}, key=list(TARGETS).index)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, metric, label in ((axes[0], "p50_ms", "p50"), (axes[1], "p99_ms", "p99")):
        for name in scenarios:
            points = sorted((r["clients"], r[metric]) for r in rows if r["scenario"] == name)
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("clients in the largest organization")
        ax.set_title(f"{label} latency (ms), wrk -t1 -c32, 2 workers")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
