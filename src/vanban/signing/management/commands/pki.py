"""`vanban pki demo [--base-url URL]`, `vanban pki trust add PEM_FILE`, `vanban pki trust list`."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vanban.signing import services
from vanban.signing.models import TrustedCertificate


class Command(BaseCommand):
    help = "The PDF-signing PKI: the demo hierarchy and the trust roots."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        demo = sub.add_parser("demo", help="create the demo PKI (idempotent)")
        demo.add_argument(
            "--base-url",
            default=None,
            help="address of this installation, written into certificates for CRL and OCSP "
            "(default: VANBAN_PUBLIC_URL or http://127.0.0.1:8000)",
        )
        trust = sub.add_parser("trust", help="trust roots of PDF signatures")
        trust_sub = trust.add_subparsers(dest="trust_operation", required=True)
        add = trust_sub.add_parser("add", help="trust a root CA certificate")
        add.add_argument("pem_file")
        add.add_argument("--name", default="")
        trust_sub.add_parser("list", help="list the trust roots")

    def handle(self, *args, operation, **opts):
        if operation == "demo":
            created = services.demo_pki(base_url=opts["base_url"])
            self.stdout.write(
                f"demo PKI: {created['authorities']} authorities, {created['people']} people and "
                f"{created['agencies']} agency seals created; TSA {services.tsa_url()}"
            )
            return
        if opts["trust_operation"] == "add":
            path = Path(opts["pem_file"])
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            try:
                root = services.add_trust_root(None, path.read_bytes(), name=opts["name"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(f"trusted: {root.name}\t{root.fingerprint}")
            return
        for root in TrustedCertificate.objects.filter(pdf_root=True).order_by("name"):
            self.stdout.write(f"{root.fingerprint}\t{root.name}")
