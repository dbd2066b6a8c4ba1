"""Talking to Pagefind's indexing service (`pagefind --service`): records in, index files out.

The `pagefind` package's own client (pagefind.index.PagefindIndex) speaks the same protocol, but its reader sleeps
100 ms before reading each answer, so adding 10,000 records one by one takes over 16 minutes. This client sends
every record at once from a thread and reads the answers as they come: 10,000 records in about two seconds.

The protocol (Pagefind 1.x, the version in uv.lock; the package's `pagefind/service/__init__.py` is the reference):
each message is base64 of a JSON object `{"message_id": n, "payload": {...}}` followed by a comma, both ways; the
service answers every message with the same message_id, or with a payload of type "Error".
"""

from __future__ import annotations

import base64
import contextlib
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

Record = dict[str, Any]  # url, content, meta, filters, sort: the arguments of Pagefind's AddRecord


def write_index(
    records: Sequence[Record],
    language: str,
    into: Path,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> int:
    """Index `records` (all in `language`) and write Pagefind's bundle into `into`; the number of pages indexed.

    `started` is given the service's process once it runs, so that another thread can stop it (kill).
    Raises OSError when the binary cannot run, RuntimeError when Pagefind reports an error or stops.
    """
    from pagefind.service import get_executable  # imported here: only a build that indexes needs it

    binary = get_executable()
    if binary is None:
        raise FileNotFoundError("no Pagefind binary for this platform (the pagefind[bin] package installs one)")
    with tempfile.TemporaryFile() as errors:
        service = subprocess.Popen(
            [str(binary), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors
        )
        try:
            if started is not None:
                started(service)
            return _run(service, records, language, into)
        except RuntimeError as exc:
            errors.seek(0)
            told = errors.read()[-500:].decode(errors="replace").strip()
            raise RuntimeError(f"{exc}: {told}" if told else str(exc)) from None
        finally:
            service.kill()  # first: a sender blocked on a full pipe then fails instead of waiting for ever
            with contextlib.suppress(OSError):  # the service has gone: nothing left to tell it
                service.stdin.close()  # type: ignore[union-attr]
            service.wait()


def _run(service: subprocess.Popen[bytes], records: Sequence[Record], language: str, into: Path) -> int:
    assert service.stdin is not None and service.stdout is not None
    stdin = service.stdin
    answers = _answers(service.stdout)

    def send(message_id: int, payload: dict[str, Any]) -> None:
        stdin.write(base64.b64encode(orjson.dumps({"message_id": message_id, "payload": payload})) + b",")

    send(0, {"type": "NewIndex", "config": {"force_language": language}})
    stdin.flush()
    index_id = _expect(answers, "NewIndex")["index_id"]

    failed: list[BaseException] = []

    def send_records() -> None:
        try:
            for number, record in enumerate(records, start=1):
                send(number, {"type": "AddRecord", "index_id": index_id, "language": language, **record})
            stdin.flush()
        except OSError as exc:  # the service stopped: the reader sees the end of its output and says so
            failed.append(exc)

    sender = threading.Thread(target=send_records, name="pagefind-records", daemon=True)
    sender.start()
    for _ in records:
        _expect(answers, "IndexedFile")
    sender.join()  # not on an error: the caller kills the service, which ends the sender's writes
    if failed:
        raise RuntimeError(f"could not send the pages to Pagefind: {failed[0]}")
    send(len(records) + 1, {"type": "WriteFiles", "index_id": index_id, "output_path": str(into)})
    stdin.flush()
    _expect(answers, "WriteFiles")
    return len(records)


def _answers(stdout: Any) -> Iterator[dict[str, Any]]:
    """The service's answers, in order, as they arrive."""
    pending = b""
    while chunk := stdout.read1(1 << 20):
        pending += chunk
        *complete, pending = pending.split(b",")
        for message in complete:
            yield orjson.loads(base64.b64decode(message))


def _expect(answers: Iterator[dict[str, Any]], kind: str) -> dict[str, Any]:
    answer = next(answers, None)
    if answer is None:
        raise RuntimeError("Pagefind stopped before it had indexed every page")
    payload: dict[str, Any] = answer.get("payload") or {}
    if payload.get("type") == "Error":
        raise RuntimeError(str(payload.get("message") or "Pagefind reported an error"))
    if payload.get("type") != kind:
        raise RuntimeError(f"Pagefind answered {payload.get('type')!r} where {kind!r} was expected")
    return payload
