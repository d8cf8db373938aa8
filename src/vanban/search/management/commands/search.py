import sys

from django.core.management.base import BaseCommand, CommandError

from vanban.search import services


class Command(BaseCommand):
    help = (
        "Search index operations. `reindex`: rebuild the index from every document and archival "
        "record. `check`: list documents and records missing from or stale in the index; exit 1 when any."
    )

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["reindex", "check"])

    def handle(self, *args, operation, **options):
        if operation == "reindex":
            n = services.reindex_all()
            self.stdout.write(f"Search index rebuilt: {n} documents and records.")
            return
        report = services.check_index()
        for label, ids in [("missing", report.missing), ("stale", report.stale), ("orphan", report.orphans)]:
            for pk in ids:
                self.stdout.write(f"{label}\tdocument {pk}")
        for label, keys in [
            ("missing", report.missing_records),
            ("stale", report.stale_records),
            ("orphan", report.orphan_records),
        ]:
            for source, pk in keys:
                self.stdout.write(f"{label}\t{source} {pk}")
        sys.stdout.flush()
        if not report.ok:
            raise CommandError(
                f"search index out of step: {len(report.missing) + len(report.missing_records)} missing, "
                f"{len(report.stale) + len(report.stale_records)} stale, "
                f"{len(report.orphans) + len(report.orphan_records)} orphan rows; run `vanban search reindex`",
                returncode=1,
            )
        self.stdout.write("Search index in step with the documents.")
