"""The circuit breaker of one build: when eBay is down, stop calling after a few failures instead of spending the
budget and the build's time on retries that cannot succeed.

It opens after `threshold` failed attempts of one kind in a row (timeouts, 5xx answers, connection errors, garbage)
on *different* requests with no success in between. Counting distinct requests, not attempts, keeps one broken
query (one category's page failing over and over while the others answer) from stopping the whole build; one
success closes the count again. Once open it stays open for the rest of the build: the build serves the cache and
says so once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CircuitBreaker:
    threshold: int = 3
    kind: str | None = None
    """The kind of the current run of failures ("timeout", "5xx", "connection", "garbage")."""
    failing: set[str] = field(default_factory=set)
    """The requests (by description) that failed in the current run."""
    reason: str | None = None
    """Set once open: why, for the build summary (the last failure's own words)."""

    @property
    def open(self) -> bool:
        return self.reason is not None

    def success(self) -> None:
        if not self.open:
            self.kind = None
            self.failing.clear()

    def failure(self, kind: str, what: str, reason: str) -> bool:
        """Count one failed attempt; True when this one opens the breaker."""
        if self.open:
            return False
        if kind != self.kind:
            self.kind = kind
            self.failing.clear()
        self.failing.add(what)
        if len(self.failing) >= self.threshold:
            self.reason = (
                f"{reason}, and so did {len(self.failing) - 1} other request(s) in a row: affsite stopped calling "
                "eBay for this build (circuit breaker)"
            )
            return True
        return False
