from django.core.management.base import BaseCommand, CommandError

from vanban.documents import integrity, tasks


class Command(BaseCommand):
    help = "Stored document files. `verify`: re-read every file and check its SHA-256 (exit 1 if any is bad)."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify"])
        parser.add_argument("--enqueue", action="store_true", help="queue the check for the task worker instead")

    def handle(self, *args, operation, enqueue, **options):
        if enqueue:
            result = tasks.verify_stored_files.enqueue()
            self.stdout.write(f"Queued as task {result.id}.")
            return
        report = integrity.verify_stored_files()
        for state in ("corrupt", "missing"):
            for bad in report[state]:
                self.stderr.write(f"{state}: {bad['sha256']} (documents {bad['documents']})")
        bad = len(report["corrupt"]) + len(report["missing"])
        if bad:
            raise CommandError(f"{bad} of {report['checked']} stored files failed the check", returncode=1)
        self.stdout.write(f"All {report['checked']} stored files match their SHA-256.")
