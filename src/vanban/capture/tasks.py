"""Background work of the capture room, run by the task worker (django-tasks database queue)."""

import logging

from django.conf import settings
from django_tasks import task

from vanban import periodic

from . import services

logging.getLogger("ocrmypdf").setLevel(logging.WARNING)  # one line per page step otherwise


@task()
def run_ocr(capture_id: int) -> str:
    """One OCR attempt of a capture (queued with it; re-queued by a retry); returns its status."""
    return services.process(capture_id)


@task()
def extract_text(document_id: int) -> int:
    """Index the text of a document's born-digital files (queued when they are stored)."""
    return services.extract_document_text(document_id)


@task()
def recover_stalled() -> int:
    """Queue again the scans whose worker died during OCR (their lease ran out)."""
    return services.recover_stalled()


# As often as a lease lasts (a short lease is a test's), at most every minute; the worker's
# heartbeat looks every 10 seconds.
periodic.register("capture.recover", min(60, settings.VANBAN["CAPTURE_LEASE_SECONDS"]), recover_stalled.enqueue)
