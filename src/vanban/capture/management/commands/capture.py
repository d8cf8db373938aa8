import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vanban.capture import services
from vanban.capture.management.commands.capture_watch import add_watch_arguments, watch
from vanban.capture.models import Capture


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(m for ms in exc.message_dict.values() for m in ms)
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Digitisation. `import DIR --agency CODE`: every scan under DIR (recursively) becomes an "
        "archival record of the agency, OCR queued for the task worker (--now: run it here). "
        "Resumable: files already imported (same SHA-256) are skipped. `watch DIR --agency CODE "
        "[--interval 10] [--once]`: poll DIR and import new scans the same way; nothing is moved."
    )

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["import", "watch"])
        parser.add_argument("directory")
        add_watch_arguments(parser)  # --agency, and for watch --interval, --once
        parser.add_argument("--now", action="store_true", help="import: run the OCR inline (small imports)")

    def handle(self, *args, operation, directory, agency, now, **options):
        if operation == "watch":
            watch(self, directory, agency, interval=options["interval"], once=options["once"])
            return
        agency_model = Capture._meta.get_field("agency").related_model
        target = agency_model.objects.filter(code=agency).first()
        if target is None:
            raise CommandError(f"no agency with code {agency!r}", returncode=2)
        if not os.path.isdir(directory):
            raise CommandError(f"{directory}: not a directory", returncode=2)
        paths = sorted(
            os.path.join(root, name)
            for root, dirs, names in os.walk(directory)
            for name in names
            if not name.startswith(".")
        )
        imported = skipped = 0
        refused: list[tuple[str, str]] = []
        failed_ocr = 0
        for i, path in enumerate(paths, 1):
            self._progress(i - 1, len(paths), path)
            rel = os.path.relpath(path, directory)
            try:
                outcome = services.import_scan(None, agency=target, path=path)
            except ValidationError as exc:
                refused.append((rel, _messages(exc)))
                continue
            except OSError as exc:
                refused.append((rel, exc.strerror or str(exc)))
                continue
            if outcome.created:
                imported += 1
            else:
                skipped += 1
            if now and outcome.capture.status in (Capture.Status.QUEUED, Capture.Status.RUNNING):
                while services.process(outcome.capture.pk) == Capture.Status.QUEUED:
                    pass  # retried inline, up to MAX_ATTEMPTS
                outcome.capture.refresh_from_db()
                if outcome.capture.status == Capture.Status.FAILED:
                    failed_ocr += 1
        self._progress(len(paths), len(paths), "")
        self.stderr.write("")
        self.stdout.write(f"imported {imported}, skipped {skipped}, refused {len(refused)}")
        for rel, reason in refused:
            self.stdout.write(f"  refused {rel}: {reason}")
        if now and failed_ocr:
            self.stdout.write(f"OCR failed for {failed_ocr} file(s); see `last_error` and re-run them.")
        sys.stdout.flush()

    def _progress(self, done: int, total: int, path: str) -> None:
        width = 30
        filled = width * done // total if total else width
        name = os.path.basename(path)[:40]
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<40}", ending="")
        self.stderr.flush()
