"""Background work of the workflow, run by the task worker (django-tasks database queue)."""

from __future__ import annotations

from django_tasks import task

from vanban import periodic

from .services import reminders


@task()
def send_reminders() -> dict:
    """Deadline (and hand-over) reminders; idempotent, so the hourly schedule is only a bound on
    how late a reminder may come."""
    return reminders.run_reminders()


# The worker's heartbeat enqueues it when due: at once after the worker starts, then hourly.
periodic.register("workflow.reminders", 3600, send_reminders.enqueue)
