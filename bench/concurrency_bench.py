"""Live client concurrency: 40 searches through LiveCatalog against a local fake Browse API (127.0.0.1 only)
that answers each search after 500 ms. Prints the wall time next to the sequential sum of the latencies; with
the default concurrency the wall time must be at most a third of it (exit 1 otherwise).

    python bench/concurrency_bench.py [--searches 40] [--delay 0.5] [--concurrency N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.catalog.credentials import Credentials, Secret
from builder.catalog.live import LiveCatalog
from builder.config import ApiSettings, CategoryConfig, Config, SiteConfig


class FakeBrowse(BaseHTTPRequestHandler):
    delay = 0.5
    latencies: list[float] = []  # noqa: RUF012 (shared across handler instances on purpose)
    lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._send({"access_token": "bench-token", "expires_in": 7200, "token_type": "Application Access Token"})

    def do_GET(self) -> None:
        started = time.perf_counter()
        time.sleep(self.delay)
        query = parse_qs(urlsplit(self.path).query)
        n = int(query.get("offset", ["0"])[0])
        self._send(
            {
                "total": 1,
                "limit": 1,
                "offset": n,
                "itemSummaries": [
                    {
                        "itemId": f"v1|{100000000 + n}|0",
                        "title": query.get("q", ["item"])[0],
                        "price": {"value": "10.00", "currency": "USD"},
                        "itemWebUrl": f"https://www.ebay.com/itm/{100000000 + n}",
                    }
                ],
            }
        )
        with self.lock:
            self.latencies.append(time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--searches", type=int, default=40)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=ApiSettings().concurrency)
    args = parser.parse_args()

    FakeBrowse.delay = args.delay
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBrowse)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"

    categories = [
        CategoryConfig(slug=f"bench-{i:02d}", title=f"Bench {i}", q=f"bench {i}", items=1) for i in range(args.searches)
    ]
    site = SiteConfig(
        title="bench",
        base_url="https://bench.example.com",  # type: ignore[arg-type]
        api=ApiSettings(concurrency=args.concurrency, calls_per_build=args.searches),
    )
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(root=Path(tmp), site=site, categories=categories)
        source = LiveCatalog(
            Credentials(Secret("bench-id"), Secret("bench-secret")),
            Path(tmp) / ".cache",
            environ={"AFFSITE_EBAY_AUTH_URL": url, "AFFSITE_EBAY_API_URL": url},
        )
        started = time.perf_counter()
        result = source.load(config, datetime.now(UTC))
        wall = time.perf_counter() - started
    server.shutdown()

    if result.problems or len(FakeBrowse.latencies) != args.searches:
        print(f"bench failed: {len(FakeBrowse.latencies)} searches answered, problems: {result.problems}")
        return 1
    sequential = sum(FakeBrowse.latencies)
    ratio = wall / sequential
    print(
        f"{args.searches} searches, {args.delay * 1000:.0f} ms each, concurrency {args.concurrency}: "
        f"wall {wall:.2f} s vs sequential sum {sequential:.2f} s = {ratio:.2f} of it (must be <= 0.33)"
    )
    return 0 if ratio <= 1 / 3 else 1


if __name__ == "__main__":
    sys.exit(main())
