import logging
import os
import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

from vanban.capture import ocr


class Command(BaseCommand):
    help = "Run the OCR pipeline (rotation, deskew, Vietnamese, PDF/A-2b) on one scan; print the text."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--lang", default="vie", help="tesseract languages, e.g. vie or vie+eng")
        parser.add_argument("--output", help="also keep the PDF/A-2b copy at this path")
        parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)

    def handle(self, *args, file, lang, output, jobs, **options):
        logging.getLogger("ocrmypdf").setLevel(logging.WARNING)  # its progress is not our output
        if not os.path.isfile(file):
            raise CommandError(f"{file}: no such file", returncode=1)
        with tempfile.TemporaryDirectory(prefix="vanban-ocr-") as tmp:
            try:
                result = ocr.ocr_to_pdfa(
                    file, output or os.path.join(tmp, "out.pdf"), languages=tuple(lang.split("+")), jobs=jobs
                )
            except ocr.Unreadable as exc:
                raise CommandError(f"{file}: cannot read ({exc})", returncode=1) from exc
        self.stdout.write(result.text)
        sys.stdout.flush()
