"""Where and what the visible signatures of Decree 30/2020/NĐ-CP (Phụ lục I) show on a page.

Pure geometry and text, no Django and no PDF library: ``signing.pdf`` draws what this module
places. All coordinates are PDF points (1/72 inch) with the origin at the page's bottom-left
corner, as in PDF user space; 1 mm = 72/25.4 pt.

Three appearances:

- **Leader signature block** (chữ ký số của người có thẩm quyền, ô 7) on the last page, right
  half, right edge on the 20 mm right margin, bottom edge on the 20 mm bottom margin. Top →
  bottom: the authority prefix line when given ("KT. GIÁM ĐỐC"), the position line ("PHÓ GIÁM
  ĐỐC"), the blue signature image centred horizontally between them and the name, the full name.
  The block is laid out from the BOTTOM up, so the image box sits at the same offset from the
  block's bottom-left corner whether there is a prefix line or not: ``image_box_in_block`` can
  find it again from nothing but the signature field's rectangle (that is how the seal finds it).
  We cannot know where the body text of the last page ends, so the block sits at the bottom of
  the page's text area rather than right after the text.
- **Agency seal** (chữ ký số của cơ quan, ô 8) at its real size, vertically centred on the
  signer's image box, its rightmost point at one third of the image box's width: the seal
  covers the LEFT third of the signature image, as the decree asks, and is never at the page's
  top left.
- **Attachment stamp** (an appendix in a separate file signed by the agency) in the top margin
  of the first page, right-aligned on the 20 mm right margin, just above the 20 mm top margin so
  it covers no body text: the document's "Số, ký hiệu" and the signing time in ISO 8601 with the
  Vietnam zone, Times New Roman 10 pt, upright, black, no image.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

MM = 72 / 25.4
A4 = (595.2756, 841.8898)
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")

# Decree 30 page margins (Phụ lục I): top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm. We use
# the values that keep signatures furthest inside the text area's usual edges.
MARGIN_TOP = 20 * MM
MARGIN_BOTTOM = 20 * MM
MARGIN_RIGHT = 20 * MM

# Leader block: 13 pt bold Times lines (the size Decree 30 gives for the position and name).
BLOCK_WIDTH = 80 * MM
BLOCK_FONT_SIZE = 13.0
BLOCK_LINE_HEIGHT = 16.0
BLOCK_GAP = 3.0
IMAGE_WIDTH = 60 * MM
IMAGE_HEIGHT = 25 * MM  # 2.4 : 1, the aspect of images.signature_png

# Attachment stamp: Times New Roman 10 pt, two lines.
STAMP_FONT_SIZE = 10.0
STAMP_LINE_HEIGHT = 12.0
STAMP_WIDTH = 70 * MM
STAMP_PADDING = 2.0

AUTHORITY_PREFIXES = ("TM.", "Q.", "KT.", "TL.", "TUQ.")


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in PDF points: (x0, y0) bottom-left, (x1, y1) top-right."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def relative_to(self, outer: Rect) -> Rect:
        """This rectangle in the coordinates of ``outer``'s bottom-left corner (an appearance
        stream's own coordinates)."""
        return Rect(self.x0 - outer.x0, self.y0 - outer.y0, self.x1 - outer.x0, self.y1 - outer.y0)

    def intersection(self, other: Rect) -> Rect | None:
        x0, y0 = max(self.x0, other.x0), max(self.y0, other.y0)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        return Rect(x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


@dataclass(frozen=True)
class TextLine:
    text: str
    box: Rect
    font_size: float
    bold: bool
    align: str = "centre"  # or "left", "right"


@dataclass(frozen=True)
class LeaderBlock:
    rect: Rect
    prefix: TextLine | None
    position: TextLine
    image_box: Rect
    name: TextLine

    @property
    def lines(self) -> list[TextLine]:
        return [line for line in (self.prefix, self.position, self.name) if line is not None]


@dataclass(frozen=True)
class AttachmentStamp:
    rect: Rect
    lines: tuple[TextLine, ...]


def clean(text: str) -> str:
    """One line, NFC (precomposed Vietnamese letters: the fonts map those, not combining marks)."""
    return unicodedata.normalize("NFC", " ".join((text or "").split()))


def upper(text: str) -> str:
    return clean(text).upper()


def leader_block(
    position: str,
    full_name: str,
    *,
    authority_prefix: str = "",
    page: tuple[float, float] = A4,
    page_origin: tuple[float, float] = (0.0, 0.0),
) -> LeaderBlock:
    """The leader's signature block on a page of size ``page`` (width, height) whose media box
    starts at ``page_origin``."""
    ox, oy = page_origin
    right = ox + page[0] - MARGIN_RIGHT
    left = right - BLOCK_WIDTH
    bottom = oy + MARGIN_BOTTOM
    name_box = Rect(left, bottom, right, bottom + BLOCK_LINE_HEIGHT)
    image_box = image_box_in_block(Rect(left, bottom, right, bottom + 1))
    y = image_box.y1 + BLOCK_GAP
    position_box = Rect(left, y, right, y + BLOCK_LINE_HEIGHT)
    y = position_box.y1
    prefix_line = None
    if clean(authority_prefix):
        prefix_box = Rect(left, y, right, y + BLOCK_LINE_HEIGHT)
        prefix_line = TextLine(upper(authority_prefix), prefix_box, BLOCK_FONT_SIZE, bold=True)
        y = prefix_box.y1
    return LeaderBlock(
        rect=Rect(left, bottom, right, y),
        prefix=prefix_line,
        position=TextLine(upper(position), position_box, BLOCK_FONT_SIZE, bold=True),
        image_box=image_box,
        name=TextLine(clean(full_name), name_box, BLOCK_FONT_SIZE, bold=True),
    )


def image_box_in_block(block: Rect) -> Rect:
    """The signature image box of a leader block, from the block's rectangle alone: above the
    name line, centred horizontally, at most IMAGE_WIDTH × IMAGE_HEIGHT (narrower blocks drawn
    by other software get a proportionally smaller box)."""
    width = min(IMAGE_WIDTH, block.width)
    height = width * IMAGE_HEIGHT / IMAGE_WIDTH
    x0 = block.x0 + (block.width - width) / 2
    y0 = block.y0 + BLOCK_LINE_HEIGHT + BLOCK_GAP
    return Rect(x0, y0, x0 + width, y0 + height)


def fit_image(box: Rect, image_width: float, image_height: float) -> Rect:
    """Scale an image (any unit) into ``box`` keeping its aspect, centred both ways."""
    if image_width <= 0 or image_height <= 0:
        raise ValueError("empty image")
    scale = min(box.width / image_width, box.height / image_height)
    w, h = image_width * scale, image_height * scale
    cx, cy = box.centre
    return Rect(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def seal_rect(image_box: Rect, diameter_mm: float) -> Rect:
    """The seal's square at real size: vertically centred on the signer's image box, its
    rightmost point one third into the image box, so it covers the image's left third."""
    if diameter_mm <= 0:
        raise ValueError("seal diameter must be positive")
    d = diameter_mm * MM
    cx = image_box.x0 + image_box.width / 3 - d / 2
    cy = image_box.centre[1]
    return Rect(cx - d / 2, cy - d / 2, cx + d / 2, cy + d / 2)


def vietnam_iso(when: dt.datetime) -> str:
    """ISO 8601 in Vietnam time with its zone, to the second: ``2026-11-26T14:05:09+07:00``."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("the signing time must be timezone-aware")
    return when.astimezone(VIETNAM).replace(microsecond=0).isoformat()


def attachment_stamp(
    code: str,
    when: dt.datetime,
    *,
    page: tuple[float, float] = A4,
    page_origin: tuple[float, float] = (0.0, 0.0),
) -> AttachmentStamp:
    """The attachment stamp on the first page: two right-aligned lines in the top margin."""
    ox, oy = page_origin
    right = ox + page[0] - MARGIN_RIGHT
    left = right - STAMP_WIDTH
    bottom = oy + page[1] - MARGIN_TOP + 1  # just above the text area: covers no body text
    texts = [clean(code), vietnam_iso(when)]
    texts = [t for t in texts if t]
    top = bottom + 2 * STAMP_PADDING + STAMP_LINE_HEIGHT * len(texts)
    lines = []
    y = top - STAMP_PADDING
    for text in texts:
        box = Rect(left + STAMP_PADDING, y - STAMP_LINE_HEIGHT, right - STAMP_PADDING, y)
        lines.append(TextLine(text, box, STAMP_FONT_SIZE, bold=False, align="right"))
        y -= STAMP_LINE_HEIGHT
    return AttachmentStamp(rect=Rect(left, bottom, right, top), lines=tuple(lines))


def baseline(box: Rect, font_size: float) -> float:
    """Baseline that centres a line's capitals and diacritics vertically in ``box`` (Times
    ascender ≈ 0.89 em, descender ≈ 0.22 em; the visual centre of capitals with Vietnamese marks
    sits about 0.33 em above the baseline)."""
    return box.centre[1] - 0.33 * font_size


def text_x(box: Rect, text_width: float, align: str) -> float:
    if align == "left":
        return box.x0
    if align == "right":
        return box.x1 - text_width
    return box.x0 + (box.width - text_width) / 2
