"""Load benchmark of the endpoint: clicks recorded per second and latency, next to /api/health, in the same run.

Starts `affsite endpoint` as a separate process on 127.0.0.1 (SQLite, a temporary folder), drives it with a bounded
number of requests (and a time cap per phase) from this process, then SIGKILLs the server and counts the clicks in
the database: every click answered 204 must be there (durable: committed before the answer).

    python bench/endpoint_load.py [--requests 4000] [--concurrency 32] [--max-seconds 60] [--workers 1]

Prints one JSON object and a Markdown table row for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from builder.manifest import ManifestItem, dump_manifest  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    manifest = folder / "affsite-manifest.json"
    items = [
        ManifestItem(
            str(100000000000 + i),
            f"https://www.ebay.com/itm/{100000000000 + i}",
            f"Item {i}",
            f"/p/item-{100000000000 + i}/",
            ("bench",),
        )
        for i in range(1000)
    ]
    manifest.write_bytes(dump_manifest(items, "https://bench.example.org", datetime.now(UTC)))
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{folder}/bench.db",
        "AFFSITE_SITE_URL": "https://bench.example.org",
        "AFFSITE_SECRET_KEY": secrets.token_urlsafe(32),
        "AFFSITE_MANIFEST": str(manifest),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": "1",
        "AFFSITE_CLICKS_PER_IP_PER_MINUTE": "0",
    }
    log = (folder / "endpoint.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "builder",
            "endpoint",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the endpoint did not start; see {folder / 'endpoint.log'}")


async def _phase(base: str, kind: str, total: int, concurrency: int, max_seconds: float, offset: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    issued = 0
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < total and time.monotonic() < deadline:
            n = offset + issued
            issued += 1
            started = time.perf_counter()
            if kind == "health":
                response = await client.get("/api/health")
            else:
                body = json.dumps({"item_id": str(100000000000 + n % 1000), "category": "bench", "page": f"/b/{n}/"})
                response = await client.post("/api/clicks", content=body, headers={"content-type": "text/plain"})
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ok = statuses.get(204 if kind == "clicks" else 200, 0)
    return {"latencies": latencies, "ok": ok, "other": sum(statuses.values()) - ok, "seconds": elapsed}


def _combine(runs: list[dict[str, Any]]) -> dict[str, float]:
    latencies = [x for run in runs for x in run["latencies"]]
    ok = sum(run["ok"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "ok": ok,
        "other_statuses": sum(run["other"] for run in runs),
        "seconds": round(seconds, 3),
        "per_second": round(ok / seconds, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=4000, help="requests per phase (default 4000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time cap per phase (default 60)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating health/clicks rounds (default 4)")
    parser.add_argument("--workers", type=int, default=1, help="endpoint worker processes (default 1)")
    args = parser.parse_args()
    if not (
        1 <= args.requests <= 200_000
        and 1 <= args.concurrency <= 256
        and 0 < args.max_seconds <= 600
        and 1 <= args.rounds <= 20
    ):
        parser.error("keep the load bounded: --requests <= 200000, --concurrency <= 256, --max-seconds <= 600")

    with tempfile.TemporaryDirectory(prefix="affsite-bench-") as tmp:
        folder = Path(tmp)
        port = _free_port()
        server = _start_server(folder, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(_phase(base, "health", 300, args.concurrency, 10, 0))  # warm-up
            # alternate the two routes in rounds, so a noisy neighbour on the machine hits both alike
            per_round = max(1, args.requests // args.rounds)
            runs: dict[str, list[dict[str, float]]] = {"health": [], "clicks": []}
            for round_number in range(args.rounds):
                for kind in ("health", "clicks"):
                    budget = args.max_seconds / args.rounds
                    offset = round_number * per_round
                    runs[kind].append(asyncio.run(_phase(base, kind, per_round, args.concurrency, budget, offset)))
            health, clicks = _combine(runs["health"]), _combine(runs["clicks"])
        finally:
            server.kill()  # SIGKILL: what is in the database now is what survives a crash
            server.wait()
        with sqlite3.connect(folder / "bench.db") as db:
            stored = db.execute("SELECT count(*) FROM clicks").fetchone()[0]

    ratio = clicks["per_second"] / health["per_second"] if health["per_second"] else 0.0
    result = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "health": health,
        "clicks": clicks,
        "clicks_stored_after_sigkill": stored,
        "every_acknowledged_click_stored": stored >= clicks["ok"],
        "clicks_vs_health": round(ratio, 3),
    }
    print(json.dumps(result, indent=2))
    print(
        f"| {args.workers} | {args.concurrency} | {health['per_second']:.0f} | {health['p50_ms']:.1f} / "
        f"{health['p99_ms']:.1f} | {clicks['per_second']:.0f} | {clicks['p50_ms']:.1f} / {clicks['p99_ms']:.1f} | "
        f"{ratio:.0%} | {stored} of {clicks['ok']} |"
    )
    return 0 if result["every_acknowledged_click_stored"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
