"""Background work of the exchange, run by the task worker (django-tasks database queue)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection
from django_tasks import task

from . import services

log = logging.getLogger(__name__)


def _deliver_in_thread(message_id: int) -> str:
    try:
        return services.deliver(message_id)
    except Exception:
        log.exception("delivery of outbox message %s failed", message_id)
        return "error"
    finally:
        connection.close()  # this thread's own connection


def deliver_all_due(parallel: int | None = None) -> dict:
    """Deliver every due outbox message, `parallel` at a time, until none is due."""
    parallel = parallel or settings.VANBAN["EXCHANGE_PARALLEL"]
    counts: dict[str, int] = {}

    def count(states):
        for state in states:
            counts[state] = counts.get(state, 0) + 1

    if parallel <= 1:
        while ids := services.claim_due():
            count(services.deliver(i) for i in ids)
        return counts
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="deliver") as pool:
        while ids := services.claim_due():
            count(pool.map(_deliver_in_thread, ids))
    return counts


@task()
def deliver_due() -> dict:
    """Queued by each action that writes to the outbox (in its transaction), by retries for their
    due time, and by the worker's heartbeat for messages left by a killed worker."""
    return deliver_all_due()
