"""Signing benchmark: sign (the leader, then the agency, each with an RFC 3161 timestamp) and
verify N one-page documents (200 by default), through vanban and directly with pyHanko's own API
on the same files, so vanban's overhead is visible.

On a fresh SQLite database with the demo province and the demo PKI (`vanban pki demo`):
- vanban: `signing.document_signing.sign_as_person` (the Decree 30 block: authority line,
  position, the blue signature image, the name) then `sign_as_agency` (the red seal over the
  image's left third), with the demo TSA in process, as `vanban signature sign` does; PAdES B-LT
  when the revocation data is reachable (it is: the product's own CRLs), and again with B-T only;
  verification with `signing.verification.check_bytes` (every signature: integrity, changes after
  signing, chain, revocation and validity at signing time, timestamp).
- pyHanko directly: `signers.sign_pdf` twice with the same keys and timestamper, a plain text
  stamp, no validation data (B-T), and `validation.validate_pdf_signature` on each signature with
  a ValidationContext trusting the same root.
vanban's signer and in-process TSA keep their parsed private keys (pyHanko's stock SimpleSigner
and DummyTimeStamper parse the DER key for every signature, ~28 ms each); the direct run uses the
stock classes. Prints documents per second.

    .venv/bin/python bench/signing.py
    .venv/bin/python bench/signing.py --count 50
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="documents (default 200)")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="vanban-bench-signing-"))
    os.environ["VANBAN_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vanban.settings"
    os.environ.pop("VANBAN_DATABASE_URL", None)
    os.environ.pop("VANBAN_TSA_URL", None)
    try:
        return _run(args)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _rate(label: str, n: int, seconds: float) -> float:
    rate = n / seconds
    print(f"   {label:<64} {rate:7.1f} documents/s   ({seconds * 1000 / n:6.1f} ms each)")
    return rate


def _run(args) -> int:
    import logging

    import django

    django.setup()
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.WARNING)
    logging.getLogger("pyhanko").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from vanban.documents.samples import one_page_pdf
    from vanban.orgs import demo
    from vanban.orgs.models import Person, Role
    from vanban.signing import document_signing, services, verification

    demo.load("Bench-Passw0rd")
    services.demo_pki(base_url="http://127.0.0.1:8000")
    leader = Person.objects.get(username="lanhdao.stttt")
    clerk = Person.objects.get(username="vanthu.stttt")
    person_id, seal_id = services.identity_of_person(leader), services.seal_of_agency(clerk.agency)
    assert person_id is not None and seal_id is not None and leader.has_role(Role.LEADER)
    docs = [one_page_pdf(f"Cong van so {i}/STTTT-VP") for i in range(args.count)]
    n = len(docs)
    print(f"vanban signing benchmark: {n} one-page documents, leader + agency, demo PKI on SQLite")

    # Warm up: the keys, the TSA key, the fonts and images are loaded once per process.
    document_signing.sign_as_agency(
        seal_id,
        document_signing.sign_as_person(person_id, docs[0], full_name=leader.get_full_name(), position="GIÁM ĐỐC").data,
    )

    def ours(data: bytes, *, lt: bool) -> bytes:
        ctx = None if lt else False
        if ctx is False:  # B-T only: no validation data to embed
            from vanban.signing import pdf

            with services.signing_session(person_id) as signer:
                one = pdf.sign_person(
                    data,
                    signer=signer,
                    full_name=leader.get_full_name(),
                    position="GIÁM ĐỐC",
                    authority_prefix="",
                    image_png=bytes(person_id.image),
                    timestamper=document_signing.timestamper(),
                )
            with services.signing_session(seal_id) as signer:
                return pdf.sign_seal(
                    one,
                    signer=signer,
                    seal_png=bytes(seal_id.image),
                    seal_diameter_mm=seal_id.image_width_mm or 36,
                    timestamper=document_signing.timestamper(),
                )
        one = document_signing.sign_as_person(person_id, data, full_name=leader.get_full_name(), position="GIÁM ĐỐC")
        return document_signing.sign_as_agency(seal_id, one.data).data

    print("sign (leader, then agency; RFC 3161 timestamp each)")
    t = time.perf_counter()
    signed_lt = [ours(d, lt=True) for d in docs]
    ours_lt = _rate("vanban, as the product signs (B-LT: CRLs embedded)", n, time.perf_counter() - t)
    t = time.perf_counter()
    signed_t = [ours(d, lt=False) for d in docs]
    ours_t = _rate("vanban pdf.py, B-T (same appearance, no validation data)", n, time.perf_counter() - t)

    # pyHanko directly, same keys and timestamper, a plain text stamp.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers

    # pyHanko's stock classes with the same keys and TSA key (vanban's keep their parsed keys).
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko.sign.validation import validate_pdf_signature

    def stock(s):
        return signers.SimpleSigner(
            signing_cert=s.signing_cert, signing_key=s.signing_key, cert_registry=s.cert_registry
        )

    person_signer = stock(services.signer_for(person_id))
    seal_signer = stock(services.signer_for(seal_id))
    ours_tsa = document_signing.timestamper()
    tsa = DummyTimeStamper(tsa_cert=ours_tsa.tsa_cert, tsa_key=ours_tsa.tsa_key, certs_to_embed=ours_tsa.certs_to_embed)

    def direct(data: bytes) -> bytes:
        out = data
        for name, signer, box in (
            ("Sig1", person_signer, (350, 80, 550, 180)),
            ("Sig2", seal_signer, (300, 90, 400, 190)),
        ):
            w = IncrementalPdfFileWriter(io.BytesIO(out))
            meta = signers.PdfSignatureMetadata(field_name=name, subfilter=fields.SigSeedSubFilter.PADES)
            spec = fields.SigFieldSpec(sig_field_name=name, box=box, on_page=-1)
            pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=tsa, new_field_spec=spec)
            out = pdf_signer.sign_pdf(w).getvalue()
        return out

    t = time.perf_counter()
    signed_direct = [direct(d) for d in docs]
    direct_rate = _rate("pyHanko API directly (stock signer and TSA, B-T, text stamp)", n, time.perf_counter() - t)

    print("verify (every signature of each document)")
    t = time.perf_counter()
    verdicts = [verification.check_bytes(d).verdict for d in signed_lt]
    ours_v = _rate("vanban verification.check_bytes", n, time.perf_counter() - t)
    bad = [v for v in verdicts if v != "valid"]

    t = time.perf_counter()
    direct_ok = 0
    for d in signed_direct:
        ok = True
        for sig in PdfFileReader(io.BytesIO(d)).embedded_signatures:
            status = validate_pdf_signature(sig, services.validation_context(fetch=False))
            ok = ok and status.bottom_line
        direct_ok += ok
    direct_v = _rate("pyHanko validate_pdf_signature directly", n, time.perf_counter() - t)

    print(f"verdicts: {n - len(bad)} valid of {n} (vanban); pyHanko direct: {direct_ok} valid of {n}")
    print(
        f"overhead: signing {direct_rate / ours_t:.2f}× pyHanko's time for B-T with the Decree 30 appearance, "
        f"{direct_rate / ours_lt:.2f}× with B-LT; verifying {direct_v / ours_v:.2f}× pyHanko's time"
    )
    print(f"sizes: one-page PDF {len(docs[0]):,} B → signed B-LT {len(signed_lt[0]):,} B, B-T {len(signed_t[0]):,} B")
    return 0 if not bad and direct_ok == n else 1


if __name__ == "__main__":
    sys.exit(main())
