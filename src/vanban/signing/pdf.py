"""PAdES signatures on PDFs with the visible appearances of Decree 30 (pyHanko), no Django.

Callers pass bytes and ready pyHanko objects (a ``Signer`` whose key was loaded once, a
``TimeStamper``, a ``ValidationContext``) and get the signed bytes back:

- every signature is an incremental update (the input is a byte prefix of the output), so earlier
  signatures stay intact: the leader signs, then the agency seals over the leader's image;
- PAdES baseline: ``/ETSI.CAdES.detached``, SHA-256; B-T when a timestamper is given (the RFC 3161
  token sits in the signature); B-LT when a validation context is given too and revocation data
  could be fetched (certificates, CRLs/OCSP responses in the document security store, /DSS).
  When no revocation data could be fetched the signature falls back to B-T, and the ``*_ex``
  variants say so in ``SignResult.warnings``;
- the appearances (geometry in ``signing.appearance``) are drawn by our own content streams, with
  Liberation Serif (Times New Roman metrics) embedded as a subset: pyHanko's glyph accumulator
  writes glyph widths in font units, which is right only for fonts with 1000 units per em and
  spaces Liberation's 2048-unit glyphs about twice too wide; ``_EmScaledGlyphs`` scales them.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from asn1crypto import cms, core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from fontTools import subset
from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, as_signing_certificate, simple_cms_attribute
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.stamp.base import BaseStamp, BaseStampStyle
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from . import appearance as ap
from .images import font_path

logger = logging.getLogger(__name__)

# Field name prefixes: a seal looks for the person's field by skipping its own kinds.
PERSON_FIELD = "ChuKyLanhDao"
SEAL_FIELD = "ConDau"
ATTACHMENT_FIELD = "ChuKyPhuLuc"


class PdfRefused(ValueError):
    """The input cannot be signed. ``reason``: ``not_pdf``, ``encrypted``, ``damaged`` (unusable
    input), ``no_field`` (``sign_seal`` found no person signature to seal), ``bad_image``."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


class CertificateRefused(ValueError):
    """The signer's certificate failed validation against the given validation context before
    signing. ``reason``: ``revoked``, ``expired``, ``untrusted``, ``invalid``."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


class FieldInfo(NamedTuple):
    name: str
    page_index: int  # -1 when the field has no widget on any page
    rect: tuple[float, float, float, float]
    signed: bool


@dataclass(frozen=True)
class SignResult:
    pdf: bytes
    field_name: str
    level: str  # "B-B", "B-T" or "B-LT" (PAdES baseline level reached)
    warnings: tuple[str, ...] = field(default=())


class KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses its private key from DER for every signature (~28 ms for
    RSA-2048, more than the signature itself: bench/signing.py); this one parses it once. RSA
    PKCS#1 v1.5 and ECDSA are signed here; anything else goes to pyHanko's own code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        digest = get_pyca_cryptography_hash(digest_algorithm)
        if algorithm == "rsassa_pkcs1v15" and isinstance(self._loaded_key, rsa.RSAPrivateKey):
            return self._loaded_key.sign(data, PKCS1v15(), digest)
        if algorithm == "ecdsa" and isinstance(self._loaded_key, ec.EllipticCurvePrivateKey):
            return self._loaded_key.sign(data, ec.ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)


class KeptKeyTimeStamper(DummyTimeStamper):
    """pyHanko's in-process RFC 3161 signer (a complete one: nonce, signing-certificate attribute,
    certificates embedded), with its RSA key parsed once instead of for every token."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded_key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt):
        digest = get_pyca_cryptography_hash(md_algorithm)
        md = hashes.Hash(digest)
        md.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", md.finalize()),
            ]
        )
        return self._loaded_key.sign(signed_attrs.dump(), PKCS1v15(), digest), signed_attrs


def simple_signer(key, certificate, chain: Iterable = ()) -> signers.SimpleSigner:
    """A pyHanko signer from a ``cryptography`` private key and certificates (the signer's and its
    issuing chain, embedded in the signature so verifiers can build the path). Build it once per
    key and reuse it: parsing the key costs more than signing a page."""

    def cert(c):
        return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

    key_info = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return KeptKeySigner(
        signing_cert=cert(certificate),
        signing_key=key_info,
        cert_registry=SimpleCertificateStore.from_certs([cert(c) for c in chain]),
    )


# --- reading ------------------------------------------------------------------------------------


def _open(pdf: bytes) -> IncrementalPdfFileWriter:
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in bytes(pdf[:1024]):
        raise PdfRefused("not_pdf", "not a PDF file")
    try:
        # strict, like the verifier: never sign what our own verification could not read back
        writer = IncrementalPdfFileWriter(io.BytesIO(bytes(pdf)))
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
        raise PdfRefused("damaged", f"damaged PDF: {e}") from e
    if writer.prev.encrypted:
        raise PdfRefused("encrypted", "encrypted PDF")
    try:
        if _page_count(writer) < 1:
            raise PdfRefused("damaged", "PDF without pages")
        _page_box(writer, 0)
        _page_box(writer, -1)
    except PdfRefused:
        raise
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
        raise PdfRefused("damaged", f"damaged PDF: {e}") from e
    return writer


def _page_count(handler) -> int:
    return int(handler.root["/Pages"]["/Count"])


def _page_box(handler, index: int) -> ap.Rect:
    """The visible area (crop box, else media box) of a page."""
    page = handler.find_page_for_modification(index)[0].get_object()
    box = _inherited(page, "/CropBox") or _inherited(page, "/MediaBox")
    if box is None:
        raise PdfRefused("damaged", "page without media box")
    x0, y0, x1, y1 = (float(v) for v in box)
    return ap.Rect(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _inherited(page, key):
    node = page
    for _ in range(64):  # a page tree is never this deep; guards against loops
        if key in node:
            return node[key]
        if "/Parent" not in node:
            return None
        node = node["/Parent"].get_object()
    return None


def _page_index_by_annotation(handler) -> dict[int, int]:
    """Object number of every annotation → index of the page listing it."""
    found = {}
    for index in range(_page_count(handler)):
        page = handler.find_page_for_modification(index)[0].get_object()
        for annot in page.get("/Annots", None) or []:
            if isinstance(annot, generic.IndirectObject):
                found[annot.idnum] = index
    return found


def signature_fields(pdf: bytes) -> list[FieldInfo]:
    """Every signature field of ``pdf`` (AcroForm order): its page, widget rectangle, signed or
    not. Raises ``PdfRefused`` for unusable input."""
    return _fields(_open(pdf))


def _fields(writer: IncrementalPdfFileWriter) -> list[FieldInfo]:
    pages = _page_index_by_annotation(writer)
    result = []
    for name, value, ref in fields.enumerate_sig_fields(writer):
        field_obj = ref.get_object()
        widget_ref, widget = ref, field_obj
        if field_obj.get("/Kids"):  # a field with separate widgets: the first one shows it
            widget_ref = field_obj["/Kids"].raw_get(0)
            widget = widget_ref.get_object()
        idnum = widget_ref.idnum if isinstance(widget_ref, generic.IndirectObject) else None
        page_index = pages.get(idnum, -1)
        rect = tuple(float(v) for v in widget.get("/Rect", (0, 0, 0, 0)))
        x0, y0, x1, y1 = rect
        rect = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        result.append(FieldInfo(str(name), page_index, rect, value is not None))
    return result


def _free_name(writer, prefix: str, wanted: str | None) -> str:
    taken = {f.name for f in _fields(writer)}
    if wanted:
        if wanted in taken:
            raise ValueError(f"signature field {wanted!r} already exists")
        return wanted
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


# --- drawing ------------------------------------------------------------------------------------


class _EmScaledGlyphs(GlyphAccumulator):
    """pyHanko's glyph accumulator with every metric in 1/1000 em, whatever the font's units per
    em: the /W widths and TJ adjustments it writes are read as thousandths of an em by PDF
    readers, and HarfBuzz is asked to position in the same unit."""

    def __init__(self, writer, font_handle, font_size):
        super().__init__(writer, font_handle, font_size)
        self._em_scale = 1000 / self.units_per_em
        self.hb_font.scale = (1000, 1000)
        self.units_per_em = 1000

    def _extract_subset(self, options=None):
        if options is None:
            options = subset.Options(layout_closure=False)
            # FFTM (FontForge timestamps) cannot be subset: drop it rather than let fontTools warn.
            options.drop_tables += ["GPOS", "GDEF", "GSUB", "FFTM"]
        super()._extract_subset(options)

    def _get_cid_and_width(self, glyph_id: int) -> tuple[int, int]:
        try:
            return self._glyphs[glyph_id]
        except KeyError:
            pass
        cid, width = super()._get_cid_and_width(glyph_id)
        self._glyphs[glyph_id] = result = (cid, round(width * self._em_scale))
        return result


@functools.cache
def _font_bytes(kind: str) -> bytes:
    with open(font_path(kind), "rb") as f:
        return f.read()


class _Fonts:
    """One subset font per weight per appearance stream."""

    def __init__(self, stamp: BaseStamp):
        self.stamp = stamp
        self._engines: dict[bool, tuple[str, GlyphAccumulator]] = {}

    def engine(self, bold: bool) -> tuple[str, GlyphAccumulator]:
        if bold not in self._engines:
            handle = io.BytesIO(_font_bytes("times-bold" if bold else "times"))
            engine = _EmScaledGlyphs(self.stamp.writer, handle, 10)
            name = "/FTimesB" if bold else "/FTimes"
            self.stamp.set_resource(ResourceType.FONT, pdf_name(name), engine.as_resource())
            self._engines[bold] = (name, engine)
        return self._engines[bold]

    def width(self, text: str, size: float, bold: bool) -> float:
        return self.engine(bold)[1].shape(text, with_actual_text=False).x_advance * size

    def line(self, line: ap.TextLine, origin: ap.Rect) -> bytes:
        """Content operators drawing ``line`` (page coordinates) in a stream whose origin is
        ``origin``'s bottom-left corner; shrinks the font size when the text is too wide."""
        if not line.text:
            return b""
        name, engine = self.engine(line.bold)
        size = line.font_size
        width = self.width(line.text, size, line.bold)
        if width > line.box.width:
            size *= line.box.width / width
            width = line.box.width
        box = line.box.relative_to(origin)
        engine.font_size = size  # HarfBuzz offsets are converted to user space with this size
        ops = engine.shape(line.text).graphics_ops
        x = ap.text_x(box, width, line.align)
        y = ap.baseline(box, size)
        return b"q 0 g BT %s %s Tf 1 0 0 1 %s %s Tm %s ET Q" % (name.encode(), _n(size), _n(x), _n(y), ops)


def _n(value: float) -> bytes:
    """A PDF number: fixed point, never the exponent notation of %g (not valid PDF syntax)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return (text if text not in ("", "-0") else "0").encode()


def _image_ops(stamp: BaseStamp, image: Image.Image, box: ap.Rect, name: str) -> bytes:
    ref = pil_image(image, stamp.writer)
    stamp.set_resource(ResourceType.XOBJECT, pdf_name(name), ref)
    return b"q %s 0 0 %s %s %s cm %s Do Q" % (_n(box.width), _n(box.height), _n(box.x0), _n(box.y0), name.encode())


class _DrawnStamp(BaseStamp):
    def _render_inner_content(self):
        return [self.style.draw(self)]


@dataclass(frozen=True)
class _DrawnStyle(BaseStampStyle):
    """A stamp style whose content is drawn by ``draw(stamp) -> bytes`` (no border, no
    background)."""

    draw: Callable[[BaseStamp], bytes] | None = None
    border_width: int = 0

    def create_stamp(self, writer, box, text_params):
        return _DrawnStamp(writer=writer, style=self, box=box)


def _load_image(png: bytes, what: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise PdfRefused("bad_image", f"unreadable {what} image") from e
    # RGBA keeps the transparency (pyHanko writes alpha as a soft mask); P/LA/CMYK... normalised.
    return image.convert("RGBA")


# --- signing ------------------------------------------------------------------------------------


def _sign(
    pdf: bytes,
    *,
    signer: Signer,
    timestamper: TimeStamper | None,
    validation_context,
    field_prefix: str,
    field_name: str | None,
    place: Callable[[IncrementalPdfFileWriter], tuple[int, ap.Rect, Callable[[BaseStamp], bytes]]],
    reason: str | None = None,
) -> SignResult:
    warnings: list[str] = []
    use_vc = validation_context
    while True:
        writer = _open(pdf)  # re-read on retry: a failed attempt may have touched the writer
        name = _free_name(writer, field_prefix, field_name)
        page_index, rect, draw = place(writer)
        meta = signers.PdfSignatureMetadata(
            field_name=name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            embed_validation_info=use_vc is not None,
            validation_context=use_vc,
            signer_key_usage={"non_repudiation"},
        )
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            timestamper=timestamper,
            stamp_style=_DrawnStyle(draw=draw),
            new_field_spec=fields.SigFieldSpec(
                sig_field_name=name,
                on_page=page_index,
                box=rect.as_tuple(),
            ),
        )
        out = io.BytesIO()
        try:
            pdf_signer.sign_pdf(writer, output=out)
        except SigningError as e:
            cause = e.__cause__
            if use_vc is not None and isinstance(cause, cv_errors.InsufficientRevinfoError):
                warnings.append(f"no revocation information could be fetched ({cause}); signed without it")
                logger.warning("PAdES B-LT not reached, falling back to B-T: %s", cause)
                use_vc = None
                continue
            if cause is None:
                raise
            raise _certificate_refusal(cause) from e
        break
    signed = out.getvalue()
    level = "B-T" if timestamper is not None else "B-B"
    if use_vc is not None:
        if _has_revocation_info(signed):
            level = "B-LT" if timestamper is not None else level
        else:
            warnings.append("no revocation information could be fetched; signed without it")
            logger.warning("PAdES B-LT not reached: no CRL or OCSP response in the DSS")
    return SignResult(signed, name, level, tuple(warnings))


def _certificate_refusal(cause: BaseException | None) -> Exception:
    if isinstance(cause, cv_errors.RevokedError):
        return CertificateRefused("revoked", str(cause))
    if isinstance(cause, cv_errors.ExpiredError | cv_errors.NotYetValidError):
        return CertificateRefused("expired", str(cause))
    if isinstance(cause, cv_errors.PathBuildingError):
        return CertificateRefused("untrusted", str(cause))
    return CertificateRefused("invalid", str(cause))


def _has_revocation_info(pdf: bytes) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    dss = reader.root.get("/DSS")
    if dss is None:
        return False
    dss = dss.get_object()
    return bool(dss.get("/CRLs")) or bool(dss.get("/OCSPs"))


def sign_person_ex(
    pdf: bytes,
    *,
    signer: Signer,
    full_name: str,
    position: str,
    authority_prefix: str = "",
    image_png: bytes,
    timestamper: TimeStamper | None,
    validation_context=None,
    field_name: str | None = None,
    signed_at_hint: str = "",
) -> SignResult:
    """``sign_person`` with the level reached and any warnings."""
    image = _load_image(image_png, "signature")

    def place(writer):
        last = _page_count(writer) - 1
        page = _page_box(writer, last)
        block = ap.leader_block(
            position,
            full_name,
            authority_prefix=authority_prefix,
            page=(page.width, page.height),
            page_origin=(page.x0, page.y0),
        )

        def draw(stamp: BaseStamp) -> bytes:
            fonts = _Fonts(stamp)
            ops = [fonts.line(line, block.rect) for line in block.lines]
            box = ap.fit_image(block.image_box, image.width, image.height).relative_to(block.rect)
            ops.append(_image_ops(stamp, image, box, "/ChuKy"))
            return b" ".join(ops)

        return last, block.rect, draw

    return _sign(
        pdf,
        signer=signer,
        timestamper=timestamper,
        validation_context=validation_context,
        field_prefix=PERSON_FIELD,
        field_name=field_name,
        place=place,
        reason=signed_at_hint or None,
    )


def sign_person(
    pdf: bytes,
    *,
    signer: Signer,
    full_name: str,
    position: str,
    authority_prefix: str = "",
    image_png: bytes,
    timestamper: TimeStamper | None,
    validation_context=None,
    field_name: str | None = None,
    signed_at_hint: str = "",
) -> bytes:
    """The competent person's signature (Decree 30 ô 7) on the last page: prefix and position
    lines, the signature image, the full name. ``signed_at_hint`` goes to the signature's
    /Reason. B-LT falls back to B-T silently here (logged): use ``sign_person_ex`` to know."""
    return sign_person_ex(
        pdf,
        signer=signer,
        full_name=full_name,
        position=position,
        authority_prefix=authority_prefix,
        image_png=image_png,
        timestamper=timestamper,
        validation_context=validation_context,
        field_name=field_name,
        signed_at_hint=signed_at_hint,
    ).pdf


def _person_field(writer, over_field: str | None) -> FieldInfo:
    infos = _fields(writer)
    if over_field:
        for info in infos:
            if info.name == over_field and info.page_index >= 0:
                return info
        raise PdfRefused("no_field", f"no signature field {over_field!r} on a page")
    last = _page_count(writer) - 1
    candidates = [
        info
        for info in infos
        if info.signed
        and info.page_index == last
        and not info.name.startswith((SEAL_FIELD, ATTACHMENT_FIELD))
        and info.rect[2] > info.rect[0]
    ]
    if not candidates:
        raise PdfRefused("no_field", "no signed person's signature on the last page to seal")
    return candidates[-1]


def sign_seal_ex(
    pdf: bytes,
    *,
    signer: Signer,
    seal_png: bytes,
    seal_diameter_mm: float,
    over_field: str | None = None,
    timestamper: TimeStamper | None,
    validation_context=None,
    field_name: str | None = None,
) -> SignResult:
    """``sign_seal`` with the level reached and any warnings."""
    image = _load_image(seal_png, "seal")

    def place(writer):
        person = _person_field(writer, over_field)
        image_box = ap.image_box_in_block(ap.Rect(*person.rect))
        rect = ap.seal_rect(image_box, seal_diameter_mm)

        def draw(stamp: BaseStamp) -> bytes:
            box = ap.fit_image(rect, image.width, image.height).relative_to(rect)
            return _image_ops(stamp, image, box, "/ConDau")

        return person.page_index, rect, draw

    return _sign(
        pdf,
        signer=signer,
        timestamper=timestamper,
        validation_context=validation_context,
        field_prefix=SEAL_FIELD,
        field_name=field_name,
        place=place,
    )


def sign_seal(
    pdf: bytes,
    *,
    signer: Signer,
    seal_png: bytes,
    seal_diameter_mm: float,
    over_field: str | None = None,
    timestamper: TimeStamper | None,
    validation_context=None,
    field_name: str | None = None,
) -> bytes:
    """The agency's signature (Decree 30 ô 8): the seal image at real size over the left third of
    the person's signature image (``over_field``, or the last signed person's field on the last
    page)."""
    return sign_seal_ex(
        pdf,
        signer=signer,
        seal_png=seal_png,
        seal_diameter_mm=seal_diameter_mm,
        over_field=over_field,
        timestamper=timestamper,
        validation_context=validation_context,
        field_name=field_name,
    ).pdf


def sign_attachment_ex(
    pdf: bytes,
    *,
    signer: Signer,
    code: str,
    when: dt.datetime,
    timestamper: TimeStamper | None,
    validation_context=None,
    field_name: str | None = None,
) -> SignResult:
    """``sign_attachment`` with the level reached and any warnings."""
    ap.vietnam_iso(when)  # refuse a naive time before touching the PDF

    def place(writer):
        page = _page_box(writer, 0)
        stamp_layout = ap.attachment_stamp(code, when, page=(page.width, page.height), page_origin=(page.x0, page.y0))

        def draw(stamp: BaseStamp) -> bytes:
            fonts = _Fonts(stamp)
            return b" ".join(fonts.line(line, stamp_layout.rect) for line in stamp_layout.lines)

        return 0, stamp_layout.rect, draw

    return _sign(
        pdf,
        signer=signer,
        timestamper=timestamper,
        validation_context=validation_context,
        field_prefix=ATTACHMENT_FIELD,
        field_name=field_name,
        place=place,
    )


def sign_attachment(
    pdf: bytes,
    *,
    signer: Signer,
    code: str,
    when: dt.datetime,
    timestamper: TimeStamper | None,
    validation_context=None,
    field_name: str | None = None,
) -> bytes:
    """The agency's signature on an attachment in a separate file: text only, top right of the
    first page: the document's number and notation and the signing time (``when``, aware; shown in
    ISO 8601, Vietnam time)."""
    return sign_attachment_ex(
        pdf,
        signer=signer,
        code=code,
        when=when,
        timestamper=timestamper,
        validation_context=validation_context,
        field_name=field_name,
    ).pdf
