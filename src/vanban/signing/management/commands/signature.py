"""PDF signatures from the command line (operators, scripts, acceptance checks).

`vanban signature verify FILE`: check every signature of a PDF against the installation's trust
roots. Prints one word first (valid, modified, untrusted, revoked, expired, unsigned: a machine
interface, never translated), then the details of each signature. Exit 0 only for valid, 1 for
the other verdicts, 2 for input that is not a readable PDF (message on stderr).

`vanban signature sign FILE --as USERNAME [--seal] --out FILE [--authority-line "KT. GIÁM ĐỐC"]
[--pin PIN]`: sign a PDF with USERNAME's own certificate (the person's signature with their
image, position and name), or with `--seal` as USERNAME's agency (USERNAME must be one of its
clerks; the seal over the person's signature). PAdES with a timestamp; the output is the input
with the signature appended. Exit 2 for input that is not a readable PDF or a refusal.

Subcommands share this command; each is a `_<name>` method."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from vanban.orgs.models import Person
from vanban.signing import document_signing, services, verification, verify

_UNREADABLE = {
    "not_pdf": "not a PDF file",
    "encrypted": "the PDF is encrypted",
    "damaged": "the PDF is damaged or truncated",
}


class Command(BaseCommand):
    help = "PDF signatures: verify or sign a file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True)
        v = sub.add_parser("verify", help="check every signature of a PDF file")
        v.add_argument("file")
        s = sub.add_parser("sign", help="sign a PDF file as a person, or with --seal as the person's agency")
        s.add_argument("file")
        s.add_argument("--as", dest="username", required=True, help="the signer's username")
        s.add_argument("--seal", action="store_true", help="sign as the agency (USERNAME is one of its clerks)")
        s.add_argument("--out", required=True, help="where to write the signed PDF")
        s.add_argument("--authority-line", default="", help="e.g. 'KT. GIÁM ĐỐC' (a person's signature)")
        s.add_argument("--position", default=None, help="the position line (default: the person's position)")
        s.add_argument("--pin", default=None, help="PIN of a PKCS#11 token (or VANBAN_PKCS11_PIN)")

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

    def _sign(self, file, username, seal, out, authority_line, position, pin, **_):
        import os

        from django.core.exceptions import ValidationError

        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}", returncode=2)
        person = Person.objects.filter(username=username, is_active=True).first()
        if person is None:
            raise CommandError(f"no active user {username!r}", returncode=2)
        pin = pin or os.environ.get("VANBAN_PKCS11_PIN") or None
        identity = services.seal_of_agency(person.agency) if seal else services.identity_of_person(person)
        if identity is None or not services.may_sign_with(person, identity):
            whose = f"the agency of {username}" if seal else username
            raise CommandError(f"no valid certificate that {username} may sign with for {whose}", returncode=2)
        data = path.read_bytes()
        try:
            if seal:
                signed = document_signing.sign_as_agency(identity, data, pin=pin)
            else:
                signed = document_signing.sign_as_person(
                    identity,
                    data,
                    full_name=person.get_full_name(),
                    position=person.position if position is None else position,
                    authority_prefix=authority_line,
                    pin=pin,
                )
        except ValidationError as exc:
            messages = "; ".join(m for ms in exc.message_dict.values() for m in ms)
            raise CommandError(f"{file}: {messages}", returncode=2) from exc
        Path(out).write_bytes(signed.data)
        self.stdout.write(f"signed {out} ({signed.level}, field {signed.field_name}, {identity.subject})")


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
