"""Verification of every signature of a PDF, without Django: bytes and trust settings in, a report
out. The Django side (`verification.py`) stores the reports; the CLI prints them.

`verify_pdf(data, context_factory)` checks each signature field (document timestamps are
long-term-validation data, not signatures) and gives each signature one verdict, the overall
verdict being the worst of them (`modified` > `revoked` > `expired` > `untrusted` > `valid`); a PDF
with no signature is `unsigned`. Input that cannot be read raises `Unreadable`.

How pyHanko's findings map to our verdicts, for one signature, in this order:

``modified``
    The bytes covered by the signature do not hash to the signed digest (`intact` False), or the
    signature value itself does not verify against the signer's key (`valid` False: the signed
    attributes were altered), or the signature could not be parsed at all, or its coverage is
    less than a whole revision (`SignatureCoverageLevel` below `ENTIRE_REVISION`), or what later
    incremental updates changed is more than pyHanko's default `DiffPolicy` accepts
    (`ModificationLevel.OTHER`, including a `SuspiciousModification`), or more than a certifying
    signature's DocMDP permissions allow (`docmdp_ok` False). Updates that only add signatures,
    fill form fields, add validation data or (were a policy to report them) annotations
    (`LTA_UPDATES`, `FORM_FILLING`, `ANNOTATIONS`) are allowed: that is how a second signature is
    added after the first.
``revoked``
    Path validation at the signing time failed with pyhanko_certvalidator's `RevokedError` for the
    signer's certificate or an intermediate CA's (`revocation_details` set; AdES
    `REVOKED_NO_POE` / `REVOKED_CA_NO_POE`): the revocation date is before the signing time. A
    signature with no valid timestamp has no proof of when it was made (its claimed time can be
    backdated by whoever holds the key), so a revocation known now makes it `revoked` too.
``expired``
    Path validation at the signing time failed with `ExpiredError` for the signer's certificate
    (AdES `OUT_OF_BOUNDS_NO_POE`): the certificate was expired, or not yet valid, at that time.
``untrusted``
    Any other path failure: no path to a trusted root (`PathBuildingError`,
    `NO_CERTIFICATE_CHAIN_FOUND`), a CA in the path expired or unusable, key usage not allowing
    signatures, a weak algorithm, unusable revocation data under a hard-fail policy.
``valid``
    Intact, allowed modifications only, a path to a trusted root valid at the signing time, not
    revoked at that time.

The signing time is the time of the signature's RFC 3161 timestamp when that timestamp is intact
and its authority trusted, else the time the signer claims (CMS signing-time or the signature
dictionary's /M), else now. Revocation checking follows the context's policy: the installation
uses soft-fail (no reachable revocation information is not an error) and a CRL or OCSP response
saying "revoked" is always a failure.

`context_factory()` must return a new `pyhanko_certvalidator.ValidationContext` on every call (a
context caches validated paths and owns its fetchers). To validate at the signing time, this
module moves a fresh context's clock there (point-in-time validation) and reads revocation data
retroactively: a CRL published after the signature still tells whether the certificate was
revoked before it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import CMSStructuralError
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import ValidationTimingInfo, ValidationTimingParams

ContextFactory = Callable[[], ValidationContext]

VALID = "valid"
MODIFIED = "modified"
REVOKED = "revoked"
EXPIRED = "expired"
UNTRUSTED = "untrusted"
UNSIGNED = "unsigned"
VERDICTS = (VALID, MODIFIED, REVOKED, EXPIRED, UNTRUSTED, UNSIGNED)

# Worst first: the overall verdict is the first of these any signature has.
_SEVERITY = (MODIFIED, REVOKED, EXPIRED, UNTRUSTED, VALID)

# Incremental updates after a signature that do not change what was signed.
_ALLOWED_LEVELS = (
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
    ModificationLevel.ANNOTATIONS,
)

# Vietnamese certificates (VGCA and the licensed CAs) carry digitalSignature, nonRepudiation or
# both; pyHanko's default demands nonRepudiation only.
_KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False)

# What pyHanko and asn1crypto raise for a malformed signature (and only for that: an error of
# ours, or of the context factory, must not pass for a tampered file).
_BROKEN_SIGNATURE = (SignatureValidationError, CMSStructuralError, PdfError, ValueError, KeyError, TypeError)

_PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first KiB


class Unreadable(Exception):
    """The input is not a PDF we can check: `reason` is "not_pdf", "encrypted" or "damaged"."""

    REASONS = ("not_pdf", "encrypted", "damaged")

    def __init__(self, reason: str, detail: str = ""):
        assert reason in self.REASONS
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Signer:
    common_name: str = ""
    organization: str = ""
    uid: str = ""
    email: str = ""
    fingerprint: str = ""  # SHA-256 of the certificate, hex (as `crypto.fingerprint`)
    serial: str = ""  # hex
    issuer: str = ""
    not_before: str = ""
    not_after: str = ""


@dataclass
class SignatureReport:
    field: str
    verdict: str
    signer: Signer
    signing_time: str | None = None  # ISO 8601, the time validation used (see module docstring)
    claimed_time: str | None = None
    timestamp_present: bool = False
    timestamp_valid: bool = False
    timestamp_time: str | None = None
    intact: bool = False
    coverage: str = ""  # SignatureCoverageLevel name
    modification_level: str = ""  # ModificationLevel name, "" when unknown
    trusted: bool = False
    revoked: bool = False
    revoked_at: str | None = None
    revocation_reason: str = ""
    ca_revoked: bool = False
    expired: bool = False
    ltv: bool = False
    problem: str = ""  # AdES sub-indication or error, for the record

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Report:
    verdict: str
    signatures: list[SignatureReport] = field(default_factory=list)
    ltv: bool = False  # the document carries a DSS with revocation data

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "ltv": self.ltv, "signatures": [s.to_dict() for s in self.signatures]}


def worst(verdicts) -> str:
    """The overall verdict of these signature verdicts; `unsigned` when there are none."""
    verdicts = set(verdicts)
    if not verdicts:
        return UNSIGNED
    return next(v for v in _SEVERITY if v in verdicts)


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _signer(cert: asn1_x509.Certificate) -> Signer:
    subject = cert.subject.native
    uid = subject.get("user_id", "")

    def first(value):
        return value[0] if isinstance(value, list) else (value or "")

    validity = cert["tbs_certificate"]["validity"]
    return Signer(
        common_name=first(subject.get("common_name")),
        organization=first(subject.get("organization_name")),
        uid=first(uid),
        email=first(subject.get("email_address")),
        fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
        serial=format(cert.serial_number, "x"),
        issuer=cert.issuer.human_friendly,
        not_before=_iso(validity["not_before"].native) or "",
        not_after=_iso(validity["not_after"].native) or "",
    )


def _open(data: bytes) -> PdfFileReader:
    if b"%PDF-" not in data[:_PDF_HEADER_WINDOW]:
        raise Unreadable("not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypted
    except (PdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise Unreadable("damaged", str(exc)) from exc
    if encrypted:
        raise Unreadable("encrypted")
    try:
        # Touch the structure every check needs: a truncated file fails here, not halfway.
        reader.root["/Pages"]
        reader.embedded_signatures  # noqa: B018
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise Unreadable("damaged", str(exc)) from exc
    return reader


def _at(context: ValidationContext, moment: dt.datetime) -> ValidationContext:
    """`context`, a fresh one, moved to validate at `moment` with retroactive revocation data."""
    context.timing_params = ValidationTimingParams(
        ValidationTimingInfo(validation_time=moment, best_signature_time=moment, point_in_time_validation=True),
        time_tolerance=context.time_tolerance,
    )
    # No public setter: the policy is an immutable dataclass held privately by the context.
    context._revinfo_policy = dataclasses.replace(context.revinfo_policy, retroactive_revinfo=True)
    return context


def _validate(embedded, context: ValidationContext, *, skip_diff: bool) -> PdfSignatureStatus:
    # One event loop per validation, and the context made before it: a factory may read the
    # database, which Django forbids inside an event loop. The timestamp is checked with the same
    # context (same roots, same clock).
    return asyncio.run(_validate_async(embedded, context, skip_diff=skip_diff))


async def _validate_async(embedded, context: ValidationContext, *, skip_diff: bool) -> PdfSignatureStatus:
    try:
        return await async_validate_pdf_signature(
            embedded, signer_validation_context=context, key_usage_settings=_KEY_USAGE, skip_diff=skip_diff
        )
    finally:
        await context.aclose()  # a context may own fetchers (HTTP sessions)


def _trust_verdict(status: PdfSignatureStatus) -> str:
    if status.trusted:
        return VALID
    if status.revocation_details is not None:
        return REVOKED
    indic = status.trust_problem_indic
    if indic is not None and indic.name == "OUT_OF_BOUNDS_NO_POE":
        return EXPIRED
    return UNTRUSTED


def _integrity_ok(status: PdfSignatureStatus) -> bool:
    if not (status.intact and status.valid):
        return False
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return False
    level = status.modification_level
    if level is None or level not in _ALLOWED_LEVELS:
        return False
    return status.docmdp_ok is not False


def _check_signature(embedded, context_factory: ContextFactory, now: dt.datetime) -> SignatureReport:
    name = embedded.field_name or ""
    try:
        signer = _signer(embedded.signer_cert)
    except _BROKEN_SIGNATURE:  # reported below as unverifiable
        signer = Signer()
    try:
        # First pass, at the present: integrity, modifications, the timestamp, revocation now.
        now_status = _validate(embedded, context_factory(), skip_diff=False)
    except _BROKEN_SIGNATURE as exc:
        return SignatureReport(field=name, verdict=MODIFIED, signer=signer, problem=f"unverifiable: {exc}"[:300])

    ts = now_status.timestamp_validity
    ts_ok = bool(ts is not None and ts.intact and ts.valid and ts.trusted)
    claimed = now_status.signer_reported_dt
    signing_time = ts.timestamp if ts_ok else (claimed or now)
    report = SignatureReport(
        field=name,
        verdict=VALID,
        signer=signer,
        signing_time=_iso(signing_time),
        claimed_time=_iso(claimed),
        timestamp_present=ts is not None,
        timestamp_valid=ts_ok,
        timestamp_time=_iso(ts.timestamp) if ts is not None else None,
        intact=bool(now_status.intact and now_status.valid),
        coverage=now_status.coverage.name if now_status.coverage is not None else "",
        modification_level=now_status.modification_level.name if now_status.modification_level else "",
    )
    if not _integrity_ok(now_status):
        report.verdict = MODIFIED
        report.problem = "integrity" if not report.intact else "modification"
        return report

    # Second pass, at the signing time: chain, validity period, revocation before that time.
    at_status = _validate(embedded, _at(context_factory(), signing_time), skip_diff=True)
    verdict = _trust_verdict(at_status)
    status = at_status
    if verdict == VALID and not ts_ok and now_status.revocation_details is not None:
        verdict, status = REVOKED, now_status
    report.verdict = verdict
    report.trusted = verdict == VALID
    report.expired = verdict == EXPIRED
    details = status.revocation_details
    if details is not None and verdict == REVOKED:
        report.revoked = True
        report.revoked_at = _iso(details.revocation_date)
        report.revocation_reason = str(details.revocation_reason.native or "")
        report.ca_revoked = details.ca_revoked
    if status.trust_problem_indic is not None:
        report.problem = status.trust_problem_indic.name
    return report


def _has_ltv(reader: PdfFileReader) -> bool:
    try:
        dss = reader.root.get("/DSS")
        if dss is None:
            return False
        dss = dss.get_object()
        return bool(dss.get("/CRLs") or dss.get("/OCSPs"))
    except (PdfError, ValueError, KeyError, AttributeError):
        return False


def verify_pdf(data: bytes, context_factory: ContextFactory, *, now: dt.datetime | None = None) -> Report:
    """Check every signature of the PDF `data`; raises `Unreadable` for input that is not a
    readable, unencrypted PDF. `now` is for tests (a signature with no time of its own)."""
    reader = _open(data)
    now = now or dt.datetime.now(dt.UTC)
    try:
        signatures = list(reader.embedded_regular_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise Unreadable("damaged", str(exc)) from exc
    ltv = _has_ltv(reader)

    results = [_check_signature(sig, context_factory, now) for sig in signatures]
    for r in results:
        r.ltv = ltv
    return Report(verdict=worst(r.verdict for r in results), signatures=results, ltv=ltv)


def make_context_factory(
    trust_roots,
    *,
    other_certs=(),
    crls=(),
    ocsps=(),
    allow_fetching: bool = False,
    revocation_mode: str = "soft-fail",
    moment: dt.datetime | None = None,
) -> ContextFactory:
    """A factory of contexts trusting `trust_roots` (asn1crypto or `cryptography` certificates, or
    DER bytes), with the given revocation data, soft-fail by default (see module docstring).
    `moment` pretends the present is then (tests: a verification done later)."""
    roots = [_asn1(c) for c in trust_roots]
    others = [_asn1(c) for c in other_certs]
    crls = [_der(c) for c in crls]
    ocsps = list(ocsps)

    def factory() -> ValidationContext:
        return ValidationContext(
            trust_roots=roots,
            other_certs=others,
            crls=crls,
            ocsps=ocsps,
            allow_fetching=allow_fetching,
            revocation_mode=revocation_mode,
            moment=moment,
        )

    return factory


def _der(obj) -> bytes:
    if isinstance(obj, bytes):
        return obj
    if hasattr(obj, "public_bytes"):  # cryptography objects
        return obj.public_bytes(Encoding.DER)
    return obj.dump()  # asn1crypto


def _asn1(cert) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(_der(cert))
