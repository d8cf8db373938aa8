"""`vanban worker`: the django-tasks database worker, plus a heartbeat that wakes delivery of
outbox messages whose task died with a killed worker (their lease ran out) and enqueues the
periodic jobs other rooms registered in `vanban.periodic` (e.g. the workflow's reminders)."""

import logging
import threading

from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorker

from vanban import periodic
from vanban.exchange import services

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10


def _run_periodic() -> None:
    # Separate from the exchange's beat: a failing periodic job must not stop delivery wake-ups.
    try:
        periodic.run_due()
    except Exception:
        log.exception("periodic jobs failed")
    finally:
        connection.close()


def _heartbeat(stop: threading.Event) -> None:
    # A first run right away: a worker started after a stop catches up on reminders at once.
    _run_periodic()
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            if services.overdue_count(grace_seconds=HEARTBEAT_SECONDS):
                services.wake_delivery()
        except Exception:
            log.exception("exchange heartbeat failed")
        finally:
            connection.close()
        _run_periodic()


class Command(DbWorker):
    help = "Run the task worker (with the exchange delivery heartbeat and the periodic jobs)."

    def handle(self, *args, **options):
        services.wake_delivery()
        stop = threading.Event()
        threading.Thread(target=_heartbeat, args=(stop,), daemon=True, name="exchange-heartbeat").start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
