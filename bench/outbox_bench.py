"""The outbox under a failing mail server, and under SIGKILL: nothing acknowledged is lost, nothing is sent twice,
and a hung SMTP server slows nothing but mail.

Starts `affsite endpoint` as a separate process (SQLite in a temporary folder) with the clock test hook
(AFFSITE_TEST_NOW=@file, docs/testing.md), so "ten minutes of refused connections" is ten minutes of the endpoint's
time, not of the bench's. A real SMTP server (aiosmtpd) on 127.0.0.1 receives the mails.

    python bench/outbox_bench.py [--scenario refusing|hung|sigkill|all] [--signups 1000]

  refusing  SMTP refuses connections for 10 minutes (endpoint time) while sign-ups come in, then comes back:
            every acknowledged sign-up must get exactly one mail.
  hung      SMTP accepts and never answers while sign-ups come in: click p99 must stay within 2x of the same
            load with a working SMTP server, and /api/health must answer 200.
  sigkill   the endpoint is SIGKILLed in the middle of --signups sign-ups and restarted: every acknowledged sign-up
            gets exactly one mail (one Message-ID per address).

Prints one JSON object per scenario and Markdown rows for BENCHMARKS.md; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from builder.manifest import ManifestItem, dump_manifest  # noqa: E402

SITE = "https://bench.example.org"
START = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    """aiosmtpd on a fixed port, started and stopped at will (a mail server that goes away and comes back)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mails: list[tuple[str, str]] = []  # (to, message-id)
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.mails.append((str(message["To"]).lower(), str(message["Message-ID"])))
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self) -> int:
        with self.lock:
            return len(self.mails)


class Endpoint:
    def __init__(self, folder: Path, smtp_port: int, **extra: str) -> None:
        self.folder = folder
        self.clock = folder / "now"
        if not self.clock.exists():
            self.set_time(START)
        manifest = folder / "affsite-manifest.json"
        if not manifest.exists():
            items = [
                ManifestItem(
                    str(100000000000 + i),
                    f"https://www.ebay.com/itm/{100000000000 + i}",
                    f"Item {i}",
                    f"/p/item-{100000000000 + i}/",
                    ("bench",),
                )
                for i in range(100)
            ]
            manifest.write_bytes(dump_manifest(items, SITE, START))
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "AFFSITE_SITE_URL": SITE,
            "AFFSITE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
            "AFFSITE_MANIFEST": str(manifest),
            "AFFSITE_TEST_NOW": f"@{self.clock}",
            "AFFSITE_OUTBOX_POLL_SECONDS": "0.05",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SECURITY": "none",
            "SMTP_FROM": "news@bench.example.org",
            "AFFSITE_CLICKS_PER_IP_PER_MINUTE": "0",
            "AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR": "0",
            "AFFSITE_SUBSCRIBE_PER_ADDRESS_PER_HOUR": "0",
            **extra,
        }
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log = (folder / f"endpoint-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "builder", "endpoint", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=folder,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.process.kill()
        raise SystemExit(f"the endpoint did not start; see {folder}")

    def set_time(self, moment: datetime) -> None:
        self.clock.write_text(moment.isoformat())

    def outbox(self) -> dict[str, Any]:
        box: dict[str, Any] = httpx.get(self.base + "/api/health", timeout=10).json()["outbox"]
        return box

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()


def _wait(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


async def _signups(base: str, addresses: list[str], concurrency: int, acked: set[str]) -> None:
    queue = list(addresses)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            address = queue.pop()
            try:
                response = await client.post("/api/subscribe", json={"email": address}, headers={"origin": SITE})
            except httpx.HTTPError:
                continue
            if response.status_code == 202:
                acked.add(address)

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))


def _once(sink: Sink, acked: set[str]) -> dict[str, Any]:
    ids: dict[str, set[str]] = {}
    raw: dict[str, int] = {}
    with sink.lock:
        for to, message_id in sink.mails:
            ids.setdefault(to, set()).add(message_id)
            raw[to] = raw.get(to, 0) + 1
    missing = sorted(a for a in acked if a not in ids)
    twice = sorted(a for a, found in ids.items() if len(found) > 1)
    resent = sorted(a for a, n in raw.items() if n > 1 and len(ids[a]) == 1)
    return {
        "acknowledged": len(acked),
        "mailed": sum(1 for a in acked if a in ids),
        "missing": len(missing),
        "two_different_mails": len(twice),
        "same_mail_delivered_again": len(resent),
        "exactly_once": not missing and not twice,
    }


def scenario_refusing(signups: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="affsite-outbox-") as tmp:
        folder = Path(tmp)
        sink = Sink(_free_port())  # not started: connections are refused
        server = Endpoint(folder, sink.port)
        acked: set[str] = set()
        try:
            addresses = [f"r{i}@example.org" for i in range(signups)]
            asyncio.run(_signups(server.base, addresses, 16, acked))
            _wait(lambda: server.outbox()["retrying"] >= len(acked), 60)
            # ten minutes of endpoint time, a minute at a time, with the server refusing throughout
            for minute in range(1, 11):
                server.set_time(START + timedelta(minutes=minute))
                time.sleep(0.3)
            during = server.outbox()
            sink.start()
            server.set_time(START + timedelta(minutes=71))  # past the longest wait between tries (1 h)
            started = time.monotonic()
            delivered = _wait(lambda: server.outbox()["queued"] == 0, 300)
            drain_seconds = time.monotonic() - started
            time.sleep(1.0)  # a mail sent twice would arrive now
        finally:
            server.stop()
            sink.stop()
        result = _once(sink, acked)
        result.update(
            scenario="refusing",
            queued_during_outage=during["queued"],
            failed_during_outage=during["failed"],
            last_error_during_outage=during["last_error"],
            drained=delivered,
            drain_seconds=round(drain_seconds, 1),
        )
        return result


async def _clicks(base: str, total: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    issued = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < total:
            n = issued
            issued += 1
            body = json.dumps({"item_id": str(100000000000 + n % 100), "category": "bench", "page": f"/b/{n}/"})
            started = time.perf_counter()
            response = await client.post("/api/clicks", content=body, headers={"content-type": "text/plain"})
            if response.status_code == 204:
                latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return latencies


def _p(latencies: list[float], q: int) -> float:
    return round(statistics.quantiles(latencies, n=100)[q - 1] * 1000, 1) if len(latencies) > 1 else 0.0


def _load_with_signups(server: Endpoint, clicks: int, signups: int, tag: str) -> dict[str, Any]:
    acked: set[str] = set()
    health: list[int] = []
    stop = threading.Event()

    def poll_health() -> None:
        while not stop.is_set():
            try:
                health.append(httpx.get(server.base + "/api/health", timeout=5).status_code)
            except httpx.HTTPError:
                health.append(0)
            time.sleep(0.2)

    thread = threading.Thread(target=poll_health, daemon=True)
    thread.start()

    async def both() -> list[float]:
        sign = asyncio.create_task(_signups(server.base, [f"{tag}{i}@example.org" for i in range(signups)], 8, acked))
        latencies = await _clicks(server.base, clicks, 16)
        await sign
        return latencies

    try:
        latencies = asyncio.run(both())
    finally:
        stop.set()
        thread.join(10)
    return {
        "clicks": len(latencies),
        "click_p50_ms": _p(latencies, 50),
        "click_p99_ms": _p(latencies, 99),
        "signups_acknowledged": len(acked),
        "health_checks": len(health),
        "health_200": sum(1 for s in health if s == 200),
    }


def scenario_hung(clicks: int, signups: int) -> dict[str, Any]:
    results: dict[str, Any] = {"scenario": "hung"}
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(1000)  # the kernel accepts connections; nobody ever answers
    with tempfile.TemporaryDirectory(prefix="affsite-outbox-") as tmp:
        sink = Sink(_free_port())
        sink.start()
        for name, port in (("normal", sink.port), ("hung", hung.getsockname()[1]), ("normal_again", sink.port)):
            folder = Path(tmp) / name
            folder.mkdir()
            server = Endpoint(folder, port, SMTP_TIMEOUT="30", SMTP_SEND_TIMEOUT="60")
            try:
                asyncio.run(_clicks(server.base, 300, 16))  # warm-up
                results[name] = _load_with_signups(server, clicks, signups, name)
                results[name]["outbox"] = server.outbox()
            finally:
                server.stop()
        sink.stop()
    hung.close()
    normal_p99 = max(results["normal"]["click_p99_ms"], results["normal_again"]["click_p99_ms"])
    results["p99_hung_vs_normal"] = round(results["hung"]["click_p99_ms"] / normal_p99, 2) if normal_p99 else 0.0
    results["health_always_200"] = results["hung"]["health_200"] == results["hung"]["health_checks"]
    results["met"] = results["p99_hung_vs_normal"] <= 2.0 and results["health_always_200"]
    return results


def scenario_sigkill(signups: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="affsite-outbox-") as tmp:
        folder = Path(tmp)
        sink = Sink(_free_port())
        sink.start()
        server = Endpoint(folder, sink.port)
        acked: set[str] = set()
        addresses = [f"k{i}@example.org" for i in range(signups)]

        def killer() -> None:
            _wait(lambda: len(acked) >= signups // 2, 120)
            server.kill()

        thread = threading.Thread(target=killer)
        thread.start()
        asyncio.run(_signups(server.base, addresses, 16, acked))
        thread.join()
        acked_before_kill = len(acked)
        mailed_before_kill = sink.count()
        # the rest of the sign-ups after the restart, an hour later (the killed process's claims have run out)
        server.set_time(START + timedelta(hours=1))
        restarted = Endpoint(folder, sink.port)
        try:
            rest = [a for a in addresses if a not in acked]
            asyncio.run(_signups(restarted.base, rest, 16, acked))
            drained = _wait(lambda: restarted.outbox()["queued"] == 0, 300)
            time.sleep(1.0)
        finally:
            restarted.stop()
            sink.stop()
        result = _once(sink, acked)
        result.update(
            scenario="sigkill",
            acknowledged_before_kill=acked_before_kill,
            mailed_before_kill=mailed_before_kill,
            drained=drained,
        )
        return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["refusing", "hung", "sigkill", "all"], default="all")
    parser.add_argument("--signups", type=int, default=1000, help="sign-ups for sigkill (default 1000)")
    parser.add_argument("--refusing-signups", type=int, default=300, help="sign-ups during the outage (default 300)")
    parser.add_argument("--clicks", type=int, default=3000, help="clicks per phase of `hung` (default 3000)")
    parser.add_argument("--hung-signups", type=int, default=200, help="sign-ups during `hung` (default 200)")
    args = parser.parse_args()
    if not (1 <= args.signups <= 20_000 and 1 <= args.clicks <= 100_000):
        parser.error("keep the load bounded")
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus", file=sys.stderr)
    ok = True
    rows = []
    if args.scenario in ("refusing", "all"):
        r = scenario_refusing(args.refusing_signups)
        print(json.dumps(r, indent=2))
        ok &= r["exactly_once"] and r["drained"]
        rows.append(
            f"| SMTP refuses 10 min, then back | {r['acknowledged']} sign-ups acknowledged | "
            f"{r['mailed']} mailed, {r['missing']} missing, {r['two_different_mails']} twice; "
            f"drained in {r['drain_seconds']} s | {'met' if r['exactly_once'] else 'MISSED'} |"
        )
    if args.scenario in ("hung", "all"):
        r = scenario_hung(args.clicks, args.hung_signups)
        print(json.dumps(r, indent=2))
        ok &= r["met"]
        rows.append(
            f"| SMTP hung | {r['hung']['clicks']} clicks, {r['hung']['signups_acknowledged']} sign-ups | click p99 "
            f"{r['hung']['click_p99_ms']} ms vs {r['normal']['click_p99_ms']} / {r['normal_again']['click_p99_ms']} "
            f"ms normal ({r['p99_hung_vs_normal']}x); health 200 {r['hung']['health_200']} of "
            f"{r['hung']['health_checks']} | {'met' if r['met'] else 'MISSED'} |"
        )
    if args.scenario in ("sigkill", "all"):
        r = scenario_sigkill(args.signups)
        print(json.dumps(r, indent=2))
        ok &= r["exactly_once"] and r["drained"]
        rows.append(
            f"| SIGKILL during {args.signups} sign-ups | {r['acknowledged']} acknowledged "
            f"({r['acknowledged_before_kill']} before the kill) | {r['mailed']} mailed, {r['missing']} missing, "
            f"{r['two_different_mails']} twice, {r['same_mail_delivered_again']} same mail again | "
            f"{'met' if r['exactly_once'] else 'MISSED'} |"
        )
    print("\n".join(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
