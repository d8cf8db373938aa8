import sys

from django.core.management.base import BaseCommand, CommandError

from vanban.search import services


class Command(BaseCommand):
    help = (
        "Search index operations. `reindex`: rebuild the index from every document. "
        "`check`: list documents missing from or stale in the index; exit 1 when any."
    )

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["reindex", "check"])

    def handle(self, *args, operation, **options):
        if operation == "reindex":
            n = services.reindex_all()
            self.stdout.write(f"Search index rebuilt: {n} documents.")
            return
        report = services.check_index()
        for label, ids in [("missing", report.missing), ("stale", report.stale), ("orphan", report.orphans)]:
            for pk in ids:
                self.stdout.write(f"{label}\tdocument {pk}")
        sys.stdout.flush()
        if not report.ok:
            raise CommandError(
                f"search index out of step: {len(report.missing)} missing, {len(report.stale)} stale, "
                f"{len(report.orphans)} orphan rows; run `vanban search reindex`",
                returncode=1,
            )
        self.stdout.write("Search index in step with the documents.")
