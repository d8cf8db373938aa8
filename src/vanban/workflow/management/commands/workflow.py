"""`vanban workflow remind [--date YYYY-MM-DD]`: send the day's reminders now (for operators and
cron; the task worker also does it hourly). Safe to run any number of times."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from vanban.workflow.services import reminders


class Command(BaseCommand):
    help = "Workflow operations. `remind`: send deadline reminders for a day (today by default)."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["remind"])
        parser.add_argument("--date", help="the day to remind for, YYYY-MM-DD (default: today)")

    def handle(self, *args, operation, date=None, **options):
        today = None
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date: not a date in YYYY-MM-DD form: {date}") from exc
        counts = reminders.run_reminders(today)
        self.stdout.write(", ".join(f"{kind}: {n}" for kind, n in counts.items()))
