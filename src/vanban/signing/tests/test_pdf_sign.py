"""PAdES signing with the Decree 30 appearances: validity, incremental updates, B-T/B-LT, pixels."""

import datetime as dt
import io
import shutil
import subprocess
import time
from types import SimpleNamespace

import pikepdf
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from vanban.documents.samples import one_page_pdf
from vanban.signing import appearance as ap
from vanban.signing import images, pdf, pki

DPI = 100
NAME = "Nguyễn Văn An"
WHEN = dt.datetime(2026, 11, 26, 7, 5, 9, tzinfo=dt.UTC)


def _der(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@pytest.fixture(scope="module")
def h():
    """One throwaway hierarchy, signers and images for the whole module (keys are slow)."""
    root = pki.make_root("Gốc thử")
    ca = pki.make_issuing_ca(root, "CA thử")
    leader = pki.issue_signer(ca, NAME, organization="UBND tỉnh", crl_url="http://127.0.0.1:9/ca.crl")
    agency = pki.issue_signer(ca, "Sở Tư pháp", identifier="000.00.01.H01")
    revoked = pki.issue_signer(ca, "Bị thu hồi", key=leader.key, crl_url="http://127.0.0.1:9/ca.crl")
    tsa = pki.issue_tsa(ca)
    chain = [ca.certificate, root.certificate]
    tsa_signer = pdf.simple_signer(tsa.key, tsa.certificate, chain)
    return SimpleNamespace(
        root=root,
        ca=ca,
        leader=pdf.simple_signer(leader.key, leader.certificate, chain),
        agency=pdf.simple_signer(agency.key, agency.certificate, chain),
        revoked=pdf.simple_signer(revoked.key, revoked.certificate, chain),
        revoked_serial=revoked.certificate.serial_number,
        timestamper=DummyTimeStamper(
            tsa_cert=tsa_signer.signing_cert, tsa_key=tsa_signer.signing_key, certs_to_embed=tsa_signer.cert_registry
        ),
        signature=images.signature_png(NAME),
        seal=images.seal_png("Sở Tư pháp tỉnh Bắc Ninh"),
        src=one_page_pdf("Quyet dinh"),
    )


def _context(h, **kwargs):
    return ValidationContext(trust_roots=[_der(h.root.certificate)], **kwargs)


def _crls(h, revoked=()):
    ca_crl = pki.make_crl(h.ca, [pki.Revocation(s, WHEN - dt.timedelta(days=1)) for s in revoked])
    root_crl = pki.make_crl(h.root)
    return [c.public_bytes(serialization.Encoding.DER) for c in (ca_crl, root_crl)]


def _person(h, src=None, **kwargs):
    args = dict(
        signer=h.leader,
        full_name=NAME,
        position="Phó Giám đốc",
        authority_prefix="KT. Giám đốc",
        image_png=h.signature,
        timestamper=h.timestamper,
    )
    args.update(kwargs)
    return pdf.sign_person(h.src if src is None else src, **args)


def _seal(h, signed, **kwargs):
    args = dict(signer=h.agency, seal_png=h.seal, seal_diameter_mm=36, timestamper=h.timestamper)
    args.update(kwargs)
    return pdf.sign_seal(signed, **args)


def _statuses(h, signed: bytes):
    reader = PdfFileReader(io.BytesIO(signed))
    return [validate_pdf_signature(sig, _context(h)) for sig in reader.embedded_signatures]


def _render(signed: bytes, page: int = 1) -> Image.Image:
    assert shutil.which("pdftoppm")
    out = subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-png", "-f", str(page), "-l", str(page), "-"],
        input=signed,
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(out)).convert("RGB")


def _px(rect: ap.Rect, page_h: float = 842) -> tuple[int, int, int, int]:
    """PDF rectangle → pixel box (left, top, right, bottom) of a page rendered at DPI."""
    k = DPI / 72
    return (round(rect.x0 * k), round((page_h - rect.y1) * k), round(rect.x1 * k), round((page_h - rect.y0) * k))


def _bbox(image: Image.Image, test, region=None):
    left, top, right, bottom = region or (0, 0, image.width, image.height)
    xs, ys = [], []
    px = image.load()
    for y in range(max(0, top), min(image.height, bottom)):
        for x in range(max(0, left), min(image.width, right)):
            if test(px[x, y]):
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs) + 1, max(ys) + 1, len(xs)) if xs else None


def blue(p):
    return p[2] > 120 and p[0] < 110 and p[2] - p[0] > 60


def red(p):
    return p[0] > 150 and p[1] < 110 and p[2] < 110


def dark(p):
    return max(p) < 100


# --- signatures ---------------------------------------------------------------------------------


def test_person_signature_is_a_valid_trusted_timestamped_pades_incremental_update(h):
    signed = _person(h, signed_at_hint="Ký ban hành")
    assert signed.startswith(h.src)
    (status,) = _statuses(h, signed)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.intact
    assert status.timestamp_validity.valid
    assert status.coverage.name == "ENTIRE_FILE"
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.md_algorithm == "sha256"
    (field,) = pdf.signature_fields(signed)
    block = ap.leader_block("Phó Giám đốc", NAME, authority_prefix="KT. Giám đốc", page=(595, 842))
    assert field.name == "ChuKyLanhDao1" and field.signed and field.page_index == 0
    assert field.rect == pytest.approx(block.rect.as_tuple(), abs=0.01)


def test_person_then_seal_keeps_the_first_signature_intact(h):
    first = _person(h)
    both = _seal(h, first)
    assert both.startswith(first)
    person, seal = _statuses(h, both)
    assert person.intact and person.valid and person.trusted
    assert person.coverage.name == "ENTIRE_REVISION"
    assert person.docmdp_ok is not False
    assert seal.intact and seal.valid and seal.trusted and seal.timestamp_validity is not None
    names = [(f.name, f.signed) for f in pdf.signature_fields(both)]
    assert names == [("ChuKyLanhDao1", True), ("ConDau1", True)]


def test_attachment_signature_is_text_only_on_the_first_page(h):
    two_pages = pikepdf.new()
    for _ in range(2):
        two_pages.add_blank_page(page_size=(595, 842))
    buf = io.BytesIO()
    two_pages.save(buf)
    src = buf.getvalue()
    signed = pdf.sign_attachment(src, signer=h.agency, code="123/QĐ-UBND", when=WHEN, timestamper=h.timestamper)
    assert signed.startswith(src)
    (status,) = _statuses(h, signed)
    assert status.intact and status.valid and status.trusted
    (field,) = pdf.signature_fields(signed)
    assert field.page_index == 0 and field.name == "ChuKyPhuLuc1"
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    appearance_stream = sig.sig_field["/AP"]["/N"]
    assert "/XObject" not in appearance_stream.get("/Resources", {})  # no image
    # the leader's signature goes on the LAST page of the same document
    person = _person(h, src=src)
    assert [f.page_index for f in pdf.signature_fields(person)] == [1]
    with pytest.raises(ValueError):
        pdf.sign_attachment(src, signer=h.agency, code="1", when=WHEN.replace(tzinfo=None), timestamper=None)


def test_without_timestamper_the_signature_is_b_b(h):
    result = pdf.sign_person_ex(
        h.src, signer=h.leader, full_name=NAME, position="Giám đốc", image_png=h.signature, timestamper=None
    )
    assert result.level == "B-B"
    (status,) = _statuses(h, result.pdf)
    assert status.valid and status.timestamp_validity is None


def test_b_lt_embeds_revocation_data_in_the_dss(h):
    context = _context(h, crls=_crls(h), other_certs=[_der(h.ca.certificate)])
    result = pdf.sign_person_ex(
        h.src,
        signer=h.leader,
        full_name=NAME,
        position="Giám đốc",
        image_png=h.signature,
        timestamper=h.timestamper,
        validation_context=context,
    )
    assert result.level == "B-LT" and result.warnings == ()
    root = PdfFileReader(io.BytesIO(result.pdf)).root
    dss = root["/DSS"]
    assert len(dss["/CRLs"]) >= 1 and len(dss["/Certs"]) >= 2
    assert "/DSS" not in PdfFileReader(io.BytesIO(h.src)).root
    (status,) = _statuses(h, result.pdf)
    assert status.valid and status.trusted


def test_b_lt_falls_back_to_b_t_when_no_revocation_data_can_be_fetched(h):
    # The leader's certificate names a CRL at a port where nothing listens: fetching fails.
    context = _context(h, revocation_mode="hard-fail", allow_fetching=True)
    result = pdf.sign_person_ex(
        h.src,
        signer=h.leader,
        full_name=NAME,
        position="Giám đốc",
        image_png=h.signature,
        timestamper=h.timestamper,
        validation_context=context,
    )
    assert result.level == "B-T"
    assert result.warnings and "revocation" in result.warnings[0]
    assert "/DSS" not in PdfFileReader(io.BytesIO(result.pdf)).root
    (status,) = _statuses(h, result.pdf)
    assert status.valid and status.timestamp_validity is not None


def test_a_revoked_or_untrusted_certificate_is_refused_not_downgraded(h):
    context = _context(h, crls=_crls(h, revoked=[h.revoked_serial]))
    with pytest.raises(pdf.CertificateRefused) as e:
        _person(h, signer=h.revoked, validation_context=context)
    assert e.value.reason == "revoked"
    stranger = ValidationContext(trust_roots=[_der(pki.make_root("Lạ").certificate)])
    with pytest.raises(pdf.CertificateRefused) as e:
        _person(h, validation_context=stranger)
    assert e.value.reason == "untrusted"


def test_seal_needs_a_person_signature_and_honours_over_field(h):
    with pytest.raises(pdf.PdfRefused) as e:
        _seal(h, h.src)
    assert e.value.reason == "no_field"
    first = _person(h, field_name="LanhDao")
    with pytest.raises(pdf.PdfRefused) as e:
        _seal(h, first, over_field="Khac")
    assert e.value.reason == "no_field"
    sealed = _seal(h, first, over_field="LanhDao", field_name="Dau")
    person, seal = pdf.signature_fields(sealed)
    expected = ap.seal_rect(ap.image_box_in_block(ap.Rect(*person.rect)), 36)
    assert seal.name == "Dau" and seal.rect == pytest.approx(expected.as_tuple(), abs=0.01)
    with pytest.raises(ValueError):
        _person(h, src=first, field_name="LanhDao")  # a name already taken


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda src: b"Hello, not a PDF", "not_pdf"),
        (lambda src: src[: len(src) // 2], "damaged"),
        (lambda src: src.replace(b"startxref", b"startxrex").replace(b"xref", b"xrex"), "damaged"),
        ("encrypted", "encrypted"),
    ],
)
def test_unusable_input_is_refused(h, make, reason):
    if make == "encrypted":
        buf = io.BytesIO()
        with pikepdf.open(io.BytesIO(h.src)) as doc:
            doc.save(buf, encryption=pikepdf.Encryption(owner="chủ", user="", R=6))
        src = buf.getvalue()
    else:
        src = make(h.src)
    with pytest.raises(pdf.PdfRefused) as e:
        _person(h, src=src)
    assert e.value.reason == reason
    with pytest.raises(pdf.PdfRefused):
        pdf.signature_fields(src)


def test_an_unreadable_image_is_refused(h):
    with pytest.raises(pdf.PdfRefused) as e:
        _person(h, image_png=b"not a png")
    assert e.value.reason == "bad_image"


def test_person_and_seal_take_under_two_seconds(h):
    start = time.perf_counter()
    _seal(h, _person(h))
    assert time.perf_counter() - start < 2


# --- pixels -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed_page(h):
    both = _seal(h, _person(h))
    block = ap.leader_block("Phó Giám đốc", NAME, authority_prefix="KT. Giám đốc", page=(595, 842))
    return _render(both), block


def test_pixels_signature_image_is_centred_between_position_and_name(sealed_page, h):
    page, block = sealed_page
    # Only the person's signature: the seal would hide part of the blue strokes.
    image = _render(_person(h))
    found = _bbox(image, blue)
    assert found is not None
    left, top, right, bottom, count = found
    box = _px(block.image_box)
    assert count > 300
    assert box[0] - 2 <= left and right <= box[2] + 2 and box[1] - 2 <= top and bottom <= box[3] + 2
    # centred horizontally in the block, vertically between the position line and the name line
    block_px = _px(block.rect)
    assert abs((left + right) / 2 - (block_px[0] + block_px[2]) / 2) < 25
    position_bottom = _bbox(image, dark, _px(block.position.box))[3]
    name_top = _bbox(image, dark, _px(block.name.box))[1]
    assert position_bottom < top and bottom < name_top
    assert abs((top + bottom) / 2 - (position_bottom + name_top) / 2) < 15
    # nothing blue outside the block
    assert _bbox(image, blue, (0, 0, page.width, block_px[1])) is None


def test_pixels_text_is_times_spaced_right_with_vietnamese_marks(h):
    image = _render(_person(h))
    block = ap.leader_block("Phó Giám đốc", NAME, authority_prefix="KT. Giám đốc", page=(595, 842))
    from PIL import ImageFont

    font = ImageFont.truetype(images.font_path("times-bold"), round(13 * DPI / 72))
    for line in block.lines:
        left, top, right, bottom, _ = _bbox(image, dark, _px(line.box))
        expected = font.getlength(line.text)
        # pyHanko's 2048-unit trap would double the width
        assert abs((right - left) - expected) < expected * 0.1, line.text
        # centred in the block
        line_px = _px(line.box)
        assert abs((left + right) / 2 - (line_px[0] + line_px[2]) / 2) < 4
    # the diacritics render: "PHÓ GIÁM ĐỐC" is taller than its capitals alone
    _, top, _, bottom, _ = _bbox(image, dark, _px(block.position.box))
    cap_height = 0.66 * 13 * DPI / 72
    assert bottom - top > cap_height * 1.2


def test_pixels_seal_covers_the_left_third_of_the_signature_image(sealed_page):
    page, block = sealed_page
    image_px = _px(block.image_box)
    seal = ap.seal_rect(block.image_box, 36)
    found = _bbox(page, red)
    assert found is not None
    left, top, right, bottom, _ = found
    diameter = 36 / 25.4 * DPI
    assert abs((right - left) - diameter) < 4 and abs((bottom - top) - diameter) < 4
    assert abs((top + bottom) / 2 - (image_px[1] + image_px[3]) / 2) < 3
    third = image_px[0] + (image_px[2] - image_px[0]) / 3
    # red over the left third of the image box, none beyond it
    assert _bbox(page, red, (image_px[0], image_px[1], round(third) - 2, image_px[3])) is not None
    assert _bbox(page, red, (round(third) + 2, 0, page.width, page.height)) is None
    assert right <= round(_px(seal)[2]) + 2
    # never at the top left
    assert _bbox(page, red, (0, 0, page.width // 2, page.height // 2)) is None


def test_pixels_attachment_stamp_is_black_text_top_right_only(h):
    signed = pdf.sign_attachment(h.src, signer=h.agency, code="123/QĐ-UBND", when=WHEN, timestamper=None)
    page = _render(signed)
    top_band = round(20 / 25.4 * DPI)
    found = _bbox(page, dark, (page.width // 2, 0, page.width, top_band))
    assert found is not None
    left, top, right, bottom, _ = found
    assert abs(right - (595 - 20 * 72 / 25.4) * DPI / 72) < 3
    # two lines of 10 pt text: a 12 pt leading plus a cap height, "2026-11-26T14:05:09+07:00" about 115 pt wide
    assert 16 * DPI / 72 < bottom - top < 24 * DPI / 72
    assert 100 * DPI / 72 < right - left < 130 * DPI / 72
    # letters packed as Times sets them: pyHanko's 2048-unit trap spaces glyphs twice as far apart
    # (and the stamp's box clips the overflow, so the width alone would not show it)
    px = page.load()
    empty = [x for x in range(left, right) if not any(dark(px[x, y]) for y in range(top, bottom))]
    assert len(empty) < (right - left) * 0.4  # about 0.3 right, 0.6 with the trap
    # nothing dark in the top-left margin band (the sample's own text starts below it)
    assert _bbox(page, dark, (0, 0, page.width // 2, top_band)) is None
    # no colour: black text only
    assert _bbox(page, lambda p: max(p) - min(p) > 60, (0, 0, page.width, top_band)) is None
