"""Periodic jobs for the task worker: a room registers `(name, every_seconds, enqueue)` at import
and the worker's heartbeat calls `run_due()`. This module imports nothing of vanban, so the
exchange room (which owns the worker) can drive jobs of rooms it may not import, like the
workflow's reminders.

A job is due when it never ran in this process (so a freshly started worker runs it at once) or
when `every_seconds` have passed since its last successful enqueue. Several workers each enqueue
on their own clock: jobs registered here must therefore be idempotent."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every_seconds: float
    enqueue: Callable[[], object]
    last_run: float | None = None


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def register(name: str, every_seconds: float, enqueue: Callable[[], object]) -> None:
    """Add a job, or replace the one of the same name (a module imported twice registers once)."""
    if every_seconds <= 0:
        raise ValueError("every_seconds must be positive")
    with _lock:
        previous = _jobs.get(name)
        _jobs[name] = Job(name, every_seconds, enqueue, previous.last_run if previous else None)


def unregister(name: str) -> None:
    with _lock:
        _jobs.pop(name, None)


def jobs() -> list[str]:
    with _lock:
        return sorted(_jobs)


def due(now: float | None = None) -> list[str]:
    """Names of the jobs due at `now` (seconds of `time.monotonic()` by default)."""
    now = time.monotonic() if now is None else now
    with _lock:
        return sorted(j.name for j in _jobs.values() if j.last_run is None or now - j.last_run >= j.every_seconds)


def run_due(now: float | None = None) -> list[str]:
    """Enqueue every due job; returns the names enqueued. A job whose enqueue fails (the database
    is away) stays due and is tried again at the next heartbeat."""
    now = time.monotonic() if now is None else now
    done = []
    for name in due(now):
        with _lock:
            job = _jobs.get(name)
        if job is None:
            continue
        try:
            job.enqueue()
        except Exception:
            log.exception("periodic job %s could not be enqueued", name)
            continue
        with _lock:
            job.last_run = now
        done.append(name)
    return done
