"""`vanban worker`: the django-tasks database worker, plus a heartbeat that wakes delivery of
outbox messages whose task died with a killed worker (their lease ran out)."""

import logging
import threading

from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorker

from vanban.exchange import services

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10


def _heartbeat(stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            if services.overdue_count(grace_seconds=HEARTBEAT_SECONDS):
                services.wake_delivery()
        except Exception:
            log.exception("exchange heartbeat failed")
        finally:
            connection.close()


class Command(DbWorker):
    help = "Run the task worker (and the exchange delivery heartbeat)."

    def handle(self, *args, **options):
        services.wake_delivery()
        stop = threading.Event()
        threading.Thread(target=_heartbeat, args=(stop,), daemon=True, name="exchange-heartbeat").start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
