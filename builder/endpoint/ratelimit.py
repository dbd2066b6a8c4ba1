"""Rate limits. Subscriptions count in the database (shared by every instance, fixed one-hour windows);
clicks count
in memory per instance (a sliding pair of one-minute windows), cheap enough for the hot path."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class MemoryRateLimiter:
    """At most `limit` hits per key and `period` seconds (approximate sliding window), bounded memory."""

    def __init__(
        self,
        limit: int,
        period: float = 60.0,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.period = period
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._current: dict[str, int] = {}
        self._previous: dict[str, int] = {}

    def hit(self, key: str) -> bool:
        """Count one hit; False when the key is over its limit (the hit is not counted then)."""
        if self.limit <= 0:
            return True
        now = self._clock()
        window = int(now // self.period)
        with self._lock:
            if window != self._window:
                self._previous = self._current if window == self._window + 1 else {}
                self._current = {}
                self._window = window
            elapsed = (now % self.period) / self.period
            estimate = self._previous.get(key, 0) * (1 - elapsed) + self._current.get(key, 0)
            if estimate >= self.limit:
                return False
            if len(self._current) >= self._max_keys and key not in self._current:
                return True  # a flood of distinct keys: stop tracking rather than grow without bound
            self._current[key] = self._current.get(key, 0) + 1
            return True
