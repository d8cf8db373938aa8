"""`vanban capture watch DIR --agency CODE`: a watched folder of scans.

Every poll imports the scans found under DIR (recursively) as archival records of the agency,
through services.import_scan, which skips content imported before (its SHA-256): a restart, or a
second `--once` run from cron, imports nothing twice. Nothing is moved or deleted; the scanner's
folder stays as it is. While polling, a file is taken only once its size and modification time
have not changed since the previous poll (a scanner may still be writing it); `--once` takes
every file at once. A refused file is reported once, and again only if it changes.
"""

from __future__ import annotations

import os
import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vanban.capture import services
from vanban.capture.models import Capture


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(m for ms in exc.message_dict.values() for m in ms)
    return "; ".join(exc.messages)


def _scan(directory: str) -> dict[str, tuple[int, int]]:
    """Every visible file under directory, with its (size, mtime in ns)."""
    found = {}
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:  # removed meanwhile
                continue
            found[path] = (st.st_size, st.st_mtime_ns)
    return found


class Watcher:
    def __init__(self, directory: str, agency, out) -> None:
        self.directory = directory
        self.agency = agency
        self.out = out
        self.seen: dict[str, tuple[int, int]] = {}  # handled (imported, skipped or refused) as it was then
        self.previous: dict[str, tuple[int, int]] = {}

    def poll(self, *, settle: bool) -> tuple[int, int, int]:
        """One pass; returns (imported, skipped, refused)."""
        current = _scan(self.directory)
        imported = skipped = refused = 0
        for path, stamp in current.items():
            if self.seen.get(path) == stamp:
                continue
            if settle and self.previous.get(path) != stamp:
                continue  # still being written, perhaps: next poll
            rel = os.path.relpath(path, self.directory)
            try:
                outcome = services.import_scan(None, agency=self.agency, path=path)
            except ValidationError as exc:
                refused += 1
                self.out.write(f"refused {rel}: {_messages(exc)}")
            except OSError as exc:
                refused += 1
                self.out.write(f"refused {rel}: {exc.strerror or exc}")
            else:
                if outcome.created:
                    imported += 1
                    self.out.write(f"imported {rel}")
                else:
                    skipped += 1
            self.seen[path] = stamp
        self.previous = current
        return imported, skipped, refused


class Command(BaseCommand):
    help = (
        "Watched folder: poll DIR for scans and import new ones as archival records of the agency "
        "(OCR queued for the task worker). Files already imported (same SHA-256) are skipped; "
        "nothing is moved. --once: one pass, for cron and tests."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")
        add_watch_arguments(parser)

    def handle(self, *args, directory, agency, interval=10.0, once=False, **options):
        watch(self, directory, agency, interval=interval, once=once)


def add_watch_arguments(parser) -> None:
    parser.add_argument("--agency", required=True, help="the agency's code")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between polls (default 10)")
    parser.add_argument("--once", action="store_true", help="one pass, then exit")


def watch(command: BaseCommand, directory: str, agency: str, *, interval: float, once: bool) -> None:
    agency_model = Capture._meta.get_field("agency").related_model
    target = agency_model.objects.filter(code=agency).first()
    if target is None:
        raise CommandError(f"no agency with code {agency!r}", returncode=2)
    if not os.path.isdir(directory):
        raise CommandError(f"{directory}: not a directory", returncode=2)
    if interval <= 0:
        raise CommandError("--interval must be positive", returncode=2)
    watcher = Watcher(directory, target, command.stdout)
    if once:
        imported, skipped, refused = watcher.poll(settle=False)
        command.stdout.write(f"imported {imported}, skipped {skipped}, refused {refused}")
        sys.stdout.flush()
        return
    command.stdout.write(f"watching {directory} every {interval:g} s for {target.code}; Ctrl+C to stop")
    # The first pass takes what is already there (it was written before we started).
    watcher.poll(settle=False)
    try:
        while True:
            time.sleep(interval)
            watcher.poll(settle=True)
            sys.stdout.flush()
    except KeyboardInterrupt:
        command.stdout.write("stopped")
