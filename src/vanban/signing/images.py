"""Demo images for visible signatures: a handwritten-looking signature and a round agency seal.

Pure Pillow, no Django: the demo PKI builder calls these to give every demo signer a signature
image and every demo agency a seal image. Real installations upload scanned images instead.

Both images are deterministic (same input → same bytes) so demo data and tests are reproducible.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import shutil
import subprocess

from PIL import Image, ImageDraw, ImageFont

SIGNATURE_SIZE = (600, 250)
SIGNATURE_BLUE = (18, 45, 170)
SEAL_RED = (215, 25, 32)
SEAL_DPI = 300
# Render at this multiple and downscale: Pillow's lines and text are not anti-aliased otherwise.
_SUPERSAMPLE = 3

_FONT_CANDIDATES = {
    "sans-bold": (
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "Noto Sans:bold",
    ),
    "serif-bold": (
        "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf",
        "Noto Serif:bold",
    ),
    # Times New Roman's metric twin, for text that Decree 30 wants in Times (signature blocks).
    "times": (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "Liberation Serif",
    ),
    "times-bold": (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
        "Liberation Serif:bold",
    ),
}


@functools.cache
def font_path(kind: str = "sans-bold") -> str:
    """Path of a TrueType font with Vietnamese coverage (fonts-noto-core), found by fc-match
    when the usual Debian path is missing."""
    path, pattern = _FONT_CANDIDATES[kind]
    if os.path.exists(path):
        return path
    fc_match = shutil.which("fc-match")
    try:
        found = (
            subprocess.run(  # noqa: S603 (fixed program, our own pattern)
                [fc_match, "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            if fc_match
            else ""
        )
    except (OSError, subprocess.SubprocessError):
        found = ""
    if found and os.path.exists(found):
        return found
    raise FileNotFoundError(f"no font for {pattern!r}: install fonts-noto-core and fonts-liberation2")


def _png(image: Image.Image, *, dpi: int | None = None) -> bytes:
    out = io.BytesIO()
    if dpi:
        image.save(out, format="PNG", dpi=(dpi, dpi), optimize=True)
    else:
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _cubic(p0, p1, p2, p3, steps: int = 60) -> list[tuple[float, float]]:
    points = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
        y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
        points.append((x, y))
    return points


def _stream(seed: bytes):
    """Endless deterministic numbers in [0, 1) derived from ``seed``."""
    counter = 0
    while True:
        digest = hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        for i in range(0, len(digest), 4):
            yield int.from_bytes(digest[i : i + 4], "big") / 2**32
        counter += 1


def signature_png(full_name: str) -> bytes:
    """A blue handwritten-looking signature for ``full_name``: a few joined cubic strokes and an
    underline flourish, derived deterministically from the name; transparent background (RGBA,
    alpha 0 outside the strokes), 600×250 px."""
    width, height = SIGNATURE_SIZE
    s = _SUPERSAMPLE
    rnd = _stream(("signature:" + full_name.strip()).encode("utf-8"))
    # Ink drawn on a transparent canvas: colour everywhere, the strokes only in the alpha channel,
    # so the downscaled edges stay blue instead of blending towards black.
    alpha = Image.new("L", (width * s, height * s), 0)
    draw = ImageDraw.Draw(alpha)
    pen = max(2, round(5 * s))

    # Main stroke: a run of loops left → right, like a cursive surname written fast.
    loops = 3 + int(next(rnd) * 3)
    x0, x1 = 60 + next(rnd) * 40, width - 70 - next(rnd) * 40
    step = (x1 - x0) / loops
    mid = height * (0.45 + 0.1 * next(rnd))
    point = (x0, mid + 30 * (next(rnd) - 0.5))
    path: list[tuple[float, float]] = []
    for i in range(loops):
        rise = 55 + 45 * next(rnd)
        fall = 35 + 40 * next(rnd)
        end = (x0 + step * (i + 1), mid + 25 * (next(rnd) - 0.5))
        c1 = (point[0] + step * (0.2 + 0.6 * next(rnd)), point[1] - rise)
        c2 = (end[0] - step * (0.9 + 0.5 * next(rnd)), end[1] + fall)
        path += _cubic(point, c1, c2, end)
        point = end
    # A flourish back under the name.
    end = (x0 + (x1 - x0) * (0.15 + 0.2 * next(rnd)), height * (0.78 + 0.08 * next(rnd)))
    path += _cubic(
        point,
        (point[0] + 40, point[1] + 60 + 30 * next(rnd)),
        (end[0] + (x1 - x0) * 0.5, end[1] + 20),
        end,
    )
    draw.line([(x * s, y * s) for x, y in path], fill=255, width=pen, joint="curve")

    # A short accent stroke above, like the dot or tone mark of a Vietnamese initial.
    ax = x0 + (x1 - x0) * (0.1 + 0.5 * next(rnd))
    ay = height * (0.18 + 0.08 * next(rnd))
    accent = _cubic((ax, ay + 10), (ax + 15, ay - 8), (ax + 35, ay - 5), (ax + 50, ay - 18), 20)
    draw.line([(x * s, y * s) for x, y in accent], fill=255, width=max(2, pen * 3 // 4))

    alpha = alpha.resize((width, height), Image.LANCZOS)
    image = Image.new("RGBA", (width, height), (*SIGNATURE_BLUE, 0))
    image.putalpha(alpha)
    return _png(image)


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382  # the regular five-pointed star's ratio
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _text_on_circle(
    alpha: Image.Image,
    text: str,
    *,
    cx: float,
    cy: float,
    radius: float,
    font_file: str,
    size: float,
    max_arc: float,
) -> None:
    """Write ``text`` clockwise along a circle, centred on the top, letters upright towards the
    centre. Shrinks the font until the text fits in ``max_arc`` radians."""
    while True:
        font = ImageFont.truetype(font_file, round(size))
        widths = [font.getlength(ch) for ch in text]
        gap = size * 0.12
        total = sum(widths) + gap * (len(text) - 1)
        if total / radius <= max_arc or size <= 8:
            break
        size *= 0.93
    angle = -math.pi / 2 - (total / radius) / 2  # start left of the top, go clockwise
    box = round(size * 2)
    for ch, w in zip(text, widths, strict=True):
        centre_angle = angle + (w / 2) / radius
        if ch.strip():
            glyph = Image.new("L", (box, box), 0)
            ImageDraw.Draw(glyph).text((box / 2, box / 2), ch, font=font, fill=255, anchor="mm")
            # Glyph top towards the outside: rotate so the glyph's up points away from the centre.
            glyph = glyph.rotate(-math.degrees(centre_angle + math.pi / 2), resample=Image.BICUBIC)
            gx = cx + radius * math.cos(centre_angle) - box / 2
            gy = cy + radius * math.sin(centre_angle) - box / 2
            alpha.paste(255, (round(gx), round(gy)), glyph)
        angle += (w + gap) / radius


def seal_png(agency_name: str, *, diameter_mm: float = 36) -> bytes:
    """A red round seal for ``agency_name``: two rings, the name (upper case) along the circle,
    a star in the middle; transparent background; 300 dpi, so the printed diameter is
    ``diameter_mm``."""
    side = round(diameter_mm / 25.4 * SEAL_DPI)
    s = _SUPERSAMPLE
    big = side * s
    alpha = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(alpha)
    c = big / 2
    outer_w = max(s, round(big * 0.022))
    inner_w = max(s, round(big * 0.010))
    r_outer = c - outer_w / 2 - s
    r_inner = r_outer * 0.70
    draw.ellipse((c - r_outer, c - r_outer, c + r_outer, c + r_outer), outline=255, width=outer_w)
    draw.ellipse((c - r_inner, c - r_inner, c + r_inner, c + r_inner), outline=255, width=inner_w)
    text = " ".join(agency_name.split()).upper()
    band = r_outer - outer_w / 2 - (r_inner + inner_w / 2)
    _text_on_circle(
        alpha,
        text,
        cx=c,
        cy=c,
        radius=(r_outer - outer_w / 2 + r_inner + inner_w / 2) / 2,
        font_file=font_path("sans-bold"),
        size=band * 0.62,
        max_arc=math.radians(330),
    )
    draw.polygon(_star(c, c, r_inner * 0.55), fill=255)
    alpha = alpha.resize((side, side), Image.LANCZOS)
    image = Image.new("RGBA", (side, side), (*SEAL_RED, 0))
    image.putalpha(alpha)
    return _png(image, dpi=SEAL_DPI)
