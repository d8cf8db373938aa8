"""Helpers shared by the PKI tests (no tests here): a throwaway hierarchy's PKCS#12 files, signing
and validating a PDF."""

from __future__ import annotations

import datetime as dt
import io

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature

from vanban.documents.samples import one_page_pdf
from vanban.signing import pki


def p12(pair: pki.KeyPair, chain, password: str | None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(
        b"test", pair.key, pair.certificate, [c.certificate for c in chain], encryption
    )


def expired_signer(ca: pki.KeyPair, common_name: str, key=None) -> pki.KeyPair:
    now = dt.datetime.now(dt.UTC)
    return pki.issue_signer(
        ca,
        common_name,
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=1),
        key=key,
    )


def sign(signer, *, timestamper=None, data: bytes | None = None, field: str = "Sig1") -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data or one_page_pdf("van ban ky so")))
    out = signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name=field), signer=signer, timestamper=timestamper
    )
    return out.getvalue()


def validate(pdf: bytes, context):
    reader = PdfFileReader(io.BytesIO(pdf))
    return validate_pdf_signature(reader.embedded_signatures[-1], context)
