"""Decree 30 appearance geometry (pure) and the demo images."""

import datetime as dt
import io

import pytest
from PIL import Image

from vanban.signing import appearance as ap
from vanban.signing import images

PAGE_W, PAGE_H = ap.A4


def test_leader_block_sits_in_the_right_half_on_the_margins_and_reads_top_to_bottom():
    block = ap.leader_block("Phó Giám đốc", "Nguyễn Văn An", authority_prefix="kt. giám đốc")
    assert block.rect.x1 == pytest.approx(PAGE_W - 20 * ap.MM)
    assert block.rect.y0 == pytest.approx(20 * ap.MM)
    assert block.rect.x0 >= PAGE_W / 2
    assert block.prefix.text == "KT. GIÁM ĐỐC"
    assert block.position.text == "PHÓ GIÁM ĐỐC"
    assert block.name.text == "Nguyễn Văn An"  # the name keeps its case
    assert all(line.bold for line in block.lines)
    # top → bottom: prefix, position, image, name; nothing overlaps
    assert block.prefix.box.y0 >= block.position.box.y1
    assert block.position.box.y0 >= block.image_box.y1
    assert block.image_box.y0 >= block.name.box.y1
    assert block.prefix.box.y1 == pytest.approx(block.rect.y1)
    # the image box is centred horizontally in the block
    assert block.image_box.centre[0] == pytest.approx(block.rect.centre[0])
    for line in block.lines:
        assert block.rect.x0 <= line.box.x0 and line.box.x1 <= block.rect.x1


def test_the_image_box_is_found_again_from_the_field_rectangle_with_or_without_a_prefix():
    plain = ap.leader_block("Giám đốc", "Trần Thị Bình")
    prefixed = ap.leader_block("Phó Giám đốc", "Trần Thị Bình", authority_prefix="KT. Giám đốc")
    assert plain.prefix is None
    assert prefixed.rect.height > plain.rect.height
    assert plain.image_box == prefixed.image_box
    assert ap.image_box_in_block(plain.rect) == plain.image_box
    assert ap.image_box_in_block(prefixed.rect) == prefixed.image_box


def test_block_follows_the_page_size_and_origin():
    letter = ap.leader_block("Giám đốc", "A", page=(612, 792), page_origin=(10, 20))
    assert letter.rect.x1 == pytest.approx(10 + 612 - 20 * ap.MM)
    assert letter.rect.y0 == pytest.approx(20 + 20 * ap.MM)


def test_seal_is_real_size_covers_the_left_third_of_the_image_and_is_centred_on_it():
    block = ap.leader_block("Giám đốc", "Nguyễn Văn An")
    image = block.image_box
    seal = ap.seal_rect(image, 36)
    assert seal.width == pytest.approx(36 * ap.MM) and seal.height == pytest.approx(36 * ap.MM)
    assert seal.centre[1] == pytest.approx(image.centre[1])
    overlap = seal.intersection(image)
    assert overlap is not None and overlap.x0 == pytest.approx(image.x0)
    assert overlap.width == pytest.approx(image.width / 3)
    # never at the top left of the page
    assert seal.y1 < PAGE_H / 2 and seal.x0 > PAGE_W / 3
    with pytest.raises(ValueError):
        ap.seal_rect(image, 0)


def test_fit_image_keeps_the_aspect_and_centres():
    box = ap.Rect(0, 0, 200, 100)
    fitted = ap.fit_image(box, 50, 50)
    assert (fitted.width, fitted.height) == (100, 100)
    assert fitted.centre == box.centre


def test_attachment_stamp_is_in_the_top_right_margin_with_number_and_vietnam_time():
    when = dt.datetime(2026, 11, 26, 7, 5, 9, 123456, tzinfo=dt.UTC)
    stamp = ap.attachment_stamp("  123/QĐ-UBND ", when)
    assert [line.text for line in stamp.lines] == ["123/QĐ-UBND", "2026-11-26T14:05:09+07:00"]
    assert all(line.font_size == 10 and not line.bold and line.align == "right" for line in stamp.lines)
    assert stamp.rect.x1 == pytest.approx(PAGE_W - 20 * ap.MM)
    assert stamp.rect.y0 > PAGE_H - 20 * ap.MM  # above the text area: covers no body text
    assert stamp.rect.y1 < PAGE_H
    assert stamp.rect.x0 > PAGE_W / 2


def test_vietnam_iso_needs_an_aware_time():
    assert ap.vietnam_iso(dt.datetime(2026, 1, 5, 23, 0, tzinfo=dt.UTC)) == "2026-01-06T06:00:00+07:00"
    with pytest.raises(ValueError):
        ap.vietnam_iso(dt.datetime(2026, 1, 5, 23, 0))


def _rgba(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGBA"
    return image


def test_signature_png_is_blue_strokes_on_transparency_and_deterministic():
    png = images.signature_png("Nguyễn Văn An")
    image = _rgba(png)
    assert image.size == (600, 250)
    pixels = list(image.get_flattened_data())
    opaque = [p for p in pixels if p[3] > 128]
    assert 1000 < len(opaque) < len(pixels) * 0.2  # strokes, not a filled area
    assert all(b > 120 and r < 80 and g < 100 for r, g, b, _ in opaque)
    for corner in [(0, 0), (599, 0), (0, 249), (599, 249)]:
        assert image.getpixel(corner)[3] == 0
    assert images.signature_png("Nguyễn Văn An") == png
    assert images.signature_png("Trần Thị Bình") != png


def test_seal_png_is_red_round_real_size_at_300_dpi():
    png = images.seal_png("Sở Tư pháp tỉnh Bắc Ninh", diameter_mm=40)
    image = _rgba(png)
    assert image.size == (472, 472)  # 40 mm at 300 dpi
    assert round(image.info["dpi"][0]) == 300
    opaque = [p for p in image.get_flattened_data() if p[3] > 128]
    assert len(opaque) > 5000
    assert all(r > 150 and g < 90 and b < 90 for r, g, b, _ in opaque)
    for corner in [(0, 0), (471, 0), (0, 471), (471, 471)]:
        assert image.getpixel(corner)[3] == 0
    # the star in the middle and the outer ring at the edge
    assert image.getpixel((236, 236))[3] > 200
    assert image.getpixel((236, 10))[3] > 200
    assert _rgba(images.seal_png("A")).size == (425, 425)  # 36 mm by default
