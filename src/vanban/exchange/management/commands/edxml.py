"""`vanban edxml validate FILE`, `vanban edxml import FILE --agency CODE`, `vanban edxml export DOC_ID --out FILE`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vanban.documents.models import Document
from vanban.exchange import edxml, services, transfer
from vanban.exchange.models import InboxPackage
from vanban.orgs.models import Agency


class Command(BaseCommand):
    help = "edXML packages (QCVN 102:2016): validate, import as an arrival, export a document."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        v = sub.add_parser("validate", help="check a file against the edXML schema")
        v.add_argument("file")
        i = sub.add_parser("import", help="import a package as an arrival waiting at an agency")
        i.add_argument("file")
        i.add_argument("--agency", required=True, help="identifier code of the receiving agency")
        e = sub.add_parser("export", help="export a document as an .edxml file")
        e.add_argument("doc_id", type=int)
        e.add_argument("--out", required=True)

    def _read(self, name: str) -> bytes:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"no such file: {name}")
        if path.stat().st_size > edxml.Limits().max_bytes:
            raise CommandError(f"{name}: too large (rule too_large)")
        return path.read_bytes()

    def handle(self, *args, operation, **opts):
        getattr(self, f"_{operation}")(**opts)

    def _validate(self, file, **_):
        data = self._read(file)
        try:
            edxml.validate(data)
            parsed = edxml.parse(data)
        except edxml.EdxmlError as exc:
            where = ", ".join(
                p
                for p in (f"element {exc.element}" if exc.element else "", f"line {exc.line}" if exc.line else "")
                if p
            )
            raise CommandError(f"invalid ({exc.rule}{'; ' + where if where else ''}): {exc}", returncode=1) from exc
        self.stdout.write("valid")
        sig = parsed.signature
        if not sig.present:
            self.stdout.write("note: the package is not signed")
        elif sig.note:
            self.stdout.write(f"note: signature: {sig.note}")

    def _import(self, file, agency, **_):
        data = self._read(file)
        target = Agency.objects.filter(identifier=agency).first()
        if target is None:
            raise CommandError(f"no agency has the identifier code {agency}", returncode=1)
        receipt = services.receive(data, via=InboxPackage.Via.IMPORT, agency=target)
        if receipt.refusal:
            raise CommandError(f"refused ({receipt.refusal}): {transfer.refusal_message(receipt)}", returncode=1)
        arrival = receipt.arrivals[0]
        if receipt.created:
            self.stdout.write(str(arrival.pk))
        else:
            self.stdout.write(f"{arrival.pk} (already imported; nothing new created)")
        if not receipt.inbox.signature_verified:
            self.stderr.write(f"note: signature not verified: {receipt.inbox.signature_note}")

    def _export(self, doc_id, out, **_):
        doc = Document.objects.filter(pk=doc_id).first()
        if doc is None:
            raise CommandError(f"no document {doc_id}", returncode=1)
        Path(out).write_bytes(transfer.export_document(doc))
        self.stdout.write(out)
