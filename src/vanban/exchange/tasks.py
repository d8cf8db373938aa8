"""Background work of the exchange, run by the task worker (django-tasks database queue)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django_tasks import task

from . import services

log = logging.getLogger(__name__)

# One pool per worker process, kept between task runs: its threads keep their database connection
# and their HTTP connections to peers alive.
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _get_pool(size: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers != size:
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="deliver")
        return _pool


def _deliver_in_thread(message_id: int, peers: dict) -> str:
    try:
        return services.deliver(message_id, peers)
    except Exception:
        log.exception("delivery of outbox message %s failed", message_id)
        connection.close()  # a broken connection is not reused
        return "error"


def deliver_all_due(parallel: int | None = None) -> dict:
    """Deliver every due outbox message, `parallel` at a time, until none is due."""
    parallel = parallel or settings.VANBAN["EXCHANGE_PARALLEL"]
    counts: dict[str, int] = {}

    def count(states):
        for state in states:
            counts[state] = counts.get(state, 0) + 1

    if parallel <= 1:
        while ids := services.claim_due():
            peers = services.peers_now()
            count(services.deliver(i, peers) for i in ids)
        return counts
    pool = _get_pool(parallel)
    while ids := services.claim_due():
        peers = services.peers_now()
        count(pool.map(_deliver_in_thread, ids, [peers] * len(ids)))
    return counts


@task()
def deliver_due() -> dict:
    """Queued by each action that writes to the outbox (in its transaction), by retries for their
    due time, and by the worker's heartbeat for messages left by a killed worker."""
    return deliver_all_due()
