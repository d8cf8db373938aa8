"""`vanban exchange peer add NAME --url URL --cert PEM --serves PREFIX`, `vanban exchange peers`,
`vanban exchange ca`, `vanban exchange deliver`."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vanban.audit import services as audit
from vanban.exchange import services, tasks
from vanban.exchange.models import OutboxMessage, Peer
from vanban.signing import services as signing


class Command(BaseCommand):
    help = "Exchange peers and delivery."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        peer = sub.add_parser("peer", help="manage peers")
        peer_sub = peer.add_subparsers(dest="peer_operation", required=True)
        add = peer_sub.add_parser("add", help="add or change a peer")
        add.add_argument("name")
        add.add_argument("--url", required=True, help="the peer's inbox, e.g. https://host/api/v1/exchange/inbox/")
        add.add_argument("--cert", required=True, help="PEM file: the peer's CA (or signing) certificate")
        add.add_argument(
            "--serves",
            required=True,
            action="append",
            help="identifier codes it serves: exact, an ending like .H59, or a wildcard *.H59",
        )
        sub.add_parser("peers", help="list peers")
        sub.add_parser("ca", help="print this installation's CA certificate (give it to peers)")
        sub.add_parser("deliver", help="deliver every due outbox message now")

    def handle(self, *args, operation, **opts):
        if operation == "peer":
            return self._peer_add(**opts)
        return getattr(self, f"_{operation}")(**opts)

    def _peer_add(self, name, url, cert, serves, **_):
        path = Path(cert)
        if not path.is_file():
            raise CommandError(f"no such file: {cert}")
        if not url.startswith(("https://", "http://")):
            raise CommandError("the URL must start with https:// (or http:// on a closed network)")
        try:
            with transaction.atomic():
                trusted = signing.add_trusted_certificate(None, name=name, pem=path.read_text())
                peer, created = Peer.objects.update_or_create(
                    name=name,
                    defaults={"url": url, "serves": "\n".join(serves), "certificate": trusted, "active": True},
                )
                audit.record(
                    actor=None,
                    action="exchange.peer_add" if created else "exchange.peer_change",
                    target=peer,
                    data={"url": url, "serves": serves, "certificate": trusted.fingerprint},
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"peer {peer.name}: {peer.url} serves {', '.join(peer.patterns)}")

    def _peers(self, **_):
        for peer in Peer.objects.select_related("certificate"):
            pending = OutboxMessage.objects.filter(peer=peer, state=OutboxMessage.State.PENDING).count()
            state = "active" if peer.active else "inactive"
            self.stdout.write(
                f"{peer.name}\t{peer.url}\t{','.join(peer.patterns)}\t{state}\t"
                f"cert {peer.certificate.fingerprint[:16]}\tpending {pending}"
            )

    def _ca(self, **_):
        self.stdout.write(signing.authority_pem(), ending="")

    def _deliver(self, **_):
        counts = tasks.deliver_all_due()
        self.stdout.write(f"delivered: {counts}; overdue now: {services.overdue_count(0)}")
