import sys

from django.core.management.base import BaseCommand, CommandError

from vanban.audit.selectors import verify_chain


class Command(BaseCommand):
    help = "Audit log operations. `verify`: check the hash chain; exit 1 naming the first bad entry."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify"])

    def handle(self, *args, operation, **options):
        count, problem = verify_chain()
        if problem is not None:
            self.stderr.write(f"Audit chain BROKEN at {problem} ({count} entries verified before it)")
            raise CommandError(f"first bad entry: {problem.seq}", returncode=1)
        self.stdout.write(f"Audit chain intact: {count} entries verified.")
        sys.stdout.flush()
