"""Group commit for clicks: requests queue their click and wait; one writer thread inserts everything waiting
in
one transaction and wakes each request only after the commit. Every 204 is durable, and under load one fsync
serves many clicks instead of one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable

from .store import ClickRow

log = logging.getLogger("affsite.endpoint.clicks")

_Waiter = tuple[ClickRow, asyncio.Future[None], asyncio.AbstractEventLoop]
_STOP = object()


class ClickWriter:
    def __init__(self, insert: Callable[[list[ClickRow]], None], *, max_batch: int = 256) -> None:
        self._insert = insert
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiter | object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._users = 0

    def start(self) -> None:
        """Start the writer thread (counted: nested lifespans of one app share one writer)."""
        with self._lock:
            self._users += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="affsite-click-writer", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then end the thread (at shutdown, after requests in flight finished)."""
        with self._lock:
            self._users = max(0, self._users - 1)
            thread = self._thread if self._users == 0 else None
            if thread is not None:
                self._queue.put(_STOP)
                self._thread = None
        if thread is not None:
            thread.join(timeout)

    async def record(self, row: ClickRow) -> None:
        """Return once the click is committed; raise if it could not be written."""
        if self._thread is None:
            raise RuntimeError("the click writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._queue.put((row, future, loop))
        await asyncio.shield(future)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[_Waiter] = [first]  # type: ignore[list-item]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._write(batch)
        # drain anything that raced with the stop signal
        leftovers: list[_Waiter] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                leftovers.append(item)  # type: ignore[arg-type]
        if leftovers:
            self._write(leftovers)

    def _write(self, batch: list[_Waiter]) -> None:
        failed = False
        try:
            self._insert([row for row, _, _ in batch])
        except Exception as exc:
            log.error("clicks not written", extra={"clicks": len(batch), "error": type(exc).__name__})
            failed = True
        for _, future, loop in batch:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, failed)


class ClickWriteError(RuntimeError):
    """The database did not take the click (it is not acknowledged)."""


def _settle(future: asyncio.Future[None], failed: bool) -> None:
    if future.done():
        return
    if failed:
        future.set_exception(ClickWriteError("the click could not be written"))
    else:
        future.set_result(None)
