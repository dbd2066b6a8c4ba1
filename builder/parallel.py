"""Rendering and writing pages in worker processes, one per core.

Workers are forked, so they start with the planned jobs, the Jinja environment and the writer already in memory
(nothing is pickled on the way in); each renders a chunk of jobs, writes the files itself and sends back only what
the writer must record (path, written or not, size, time). No process holds more than one rendered page at a time.
Small builds, one-core machines and systems without fork render in this process instead.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

from .heap import collecting_only_new_objects
from .output import Put, Writer

MIN_PARALLEL_JOBS = 600  # below this, starting workers costs more than it saves
CHUNK = 200

Render = Callable[[Any], bytes]
_task: tuple[Sequence[Any], Render, Writer] | None = None


def worker_count(jobs: int) -> int:
    if jobs < MIN_PARALLEL_JOBS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, jobs // (MIN_PARALLEL_JOBS // 2)))


def render_and_put(
    jobs: Sequence[Any],
    render: Render,
    writer: Writer,
    workers: int | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> list[Put]:
    """Render every job and `put` its file; the results, in job order, for `writer.record`.

    `meanwhile`: work for this process while the workers render (it would otherwise wait for them), such as starting
    the search index (search_index.py); without workers, it runs first.
    """
    count = worker_count(len(jobs)) if workers is None else workers
    with collecting_only_new_objects():
        if count <= 1:
            if meanwhile is not None:
                meanwhile()
            return _render_here(jobs, render, writer)
        return _render_in_workers(jobs, render, writer, count, meanwhile)


def _render_here(jobs: Sequence[Any], render: Render, writer: Writer) -> list[Put]:
    done: list[Put] = []
    try:
        for job in jobs:
            done.append(writer.put(job.path, render(job)))
    except BaseException:
        for put in done:
            writer.record(put)  # so that abort() finds their temporary files
        raise
    return done


def _render_in_workers(
    jobs: Sequence[Any], render: Render, writer: Writer, count: int, meanwhile: Callable[[], None] | None
) -> list[Put]:
    global _task
    _task = (jobs, render, writer)
    chunks = [(start, min(start + CHUNK, len(jobs))) for start in range(0, len(jobs), CHUNK)]
    results: list[Put | None] = [None] * len(jobs)
    failure: BaseException | None = None
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            rendered = pool.imap_unordered(_run_chunk, chunks)  # the workers are forked and start on their chunks
            if meanwhile is not None:
                try:
                    meanwhile()
                except Exception as exc:  # the workers' files are still collected, so that abort() removes them
                    failure = exc
            for start, outcome in rendered:
                if isinstance(outcome, BaseException):
                    failure = failure or outcome
                    continue
                results[start : start + len(outcome)] = outcome
    finally:
        _task = None
    done = [r for r in results if r is not None]
    if failure is not None:
        for put in done:
            writer.record(put)  # so that abort() finds their temporary files
        raise failure
    return done


def _run_chunk(bounds: tuple[int, int]) -> tuple[int, list[Put] | BaseException]:
    assert _task is not None
    jobs, render, writer = _task
    start, end = bounds
    done: list[Put] = []
    try:
        for index in range(start, end):
            job = jobs[index]
            done.append(writer.put(job.path, render(job)))
    except Exception as exc:
        for put in done:
            if put.temporary is not None:
                _unlink(put.temporary)
        return start, exc
    return start, done


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
