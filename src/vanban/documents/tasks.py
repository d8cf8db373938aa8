"""Background work of the documents room, run by the task worker (django-tasks database queue)."""

from django_tasks import task

from . import integrity


@task()
def verify_stored_files() -> dict:
    """Scrub the file store; the report is kept as the task's result."""
    return integrity.verify_stored_files()
