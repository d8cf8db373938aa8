"""`vanban signature verify FILE`: check every signature of a PDF against the installation's trust
roots. Prints one word first (valid, modified, untrusted, revoked, expired, unsigned: a machine
interface, never translated), then the details of each signature. Exit 0 only for valid, 1 for
the other verdicts, 2 for input that is not a readable PDF (message on stderr).

Subcommands share this command; each is a `_<name>` method (a `sign` subcommand comes later)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vanban.signing import verification, verify

_UNREADABLE = {
    "not_pdf": "not a PDF file",
    "encrypted": "the PDF is encrypted",
    "damaged": "the PDF is damaged or truncated",
}


class Command(BaseCommand):
    help = "PDF signatures: verify a file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        v = sub.add_parser("verify", help="check every signature of a PDF file")
        v.add_argument("file")

    def handle(self, *args, operation, **opts):
        getattr(self, f"_{operation}")(**opts)

    def _verify(self, file, **_):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}", returncode=2)
        try:
            report = verification.check_bytes(path.read_bytes())
        except verify.Unreadable as exc:
            raise CommandError(f"{file}: {_UNREADABLE[exc.reason]} ({exc.reason})", returncode=2) from exc
        self.stdout.write(report.verdict)
        for line in describe(report):
            self.stdout.write(line)
        if report.verdict != verify.VALID:
            raise SystemExit(1)


def describe(report: verify.Report) -> list[str]:
    """The details printed after the verdict, one signature after the other."""
    lines = []
    for n, sig in enumerate(report.signatures, start=1):
        s = sig.signer
        who = ", ".join(p for p in (s.common_name, s.organization, s.uid, s.email) if p) or "?"
        if sig.timestamp_valid:
            when = f"{sig.signing_time} (timestamp)"
        elif sig.claimed_time:
            when = f"{sig.signing_time} (claimed{'; the timestamp is not valid' if sig.timestamp_present else ''})"
        else:
            when = "unknown"
        lines += [
            f"signature {n} ({sig.field}): {sig.verdict}",
            f"  signer: {who}",
            f"  certificate: serial {s.serial}, issuer {s.issuer}, valid {s.not_before} to {s.not_after}",
            f"  fingerprint: {s.fingerprint}",
            f"  signing time: {when}",
            f"  integrity: {'intact' if sig.intact else 'CHANGED'}; coverage {sig.coverage or '?'}; "
            f"modifications after signing {sig.modification_level or '?'}",
            f"  trusted: {'yes' if sig.trusted else 'no'}",
        ]
        if sig.revoked:
            who_revoked = "a CA of the chain" if sig.ca_revoked else "the signer's certificate"
            lines.append(f"  revoked: {who_revoked} on {sig.revoked_at} ({sig.revocation_reason or 'unspecified'})")
        if sig.expired:
            lines.append("  expired: the certificate was not valid at the signing time")
        lines.append(f"  long-term validation data: {'yes' if sig.ltv else 'no'}")
        if sig.problem:
            lines.append(f"  problem: {sig.problem}")
    return lines
