"""Printable registers: PDF (reportlab) and XLSX (openpyxl), both in the Decree 30 register layout.

reportlab rather than an HTML renderer: a year of a large agency's register is tens of thousands
of rows, and WeasyPrint took about 23 ms a row here against about 1 ms for reportlab's tables."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from vanban.orgs.models import Agency

from . import registers
from .models import Document


def register_title(book: str) -> str:
    return _("REGISTER OF INCOMING DOCUMENTS") if book == "incoming" else _("REGISTER OF OUTGOING DOCUMENTS")


# Times New Roman's metric twin (fonts-liberation2), with DejaVu Serif as a fallback.
_FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
    ),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
)
_FONT, _BOLD = "VanbanSerif", "VanbanSerif-Bold"


@functools.cache
def _register_fonts() -> None:
    for regular, bold in _FONT_CANDIDATES:
        if os.path.exists(regular) and os.path.exists(bold):
            pdfmetrics.registerFont(TTFont(_FONT, regular))
            pdfmetrics.registerFont(TTFont(_BOLD, bold))
            return
    raise RuntimeError("No Vietnamese-capable serif font found: install fonts-liberation2")


def _numbered_canvas(label: str):
    """A canvas that writes "page n/total" at the bottom once the total is known."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(_FONT, 9)
                self.drawCentredString(self._pagesize[0] / 2, 8 * mm, f"{label} {self._pageNumber}/{total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def register_pdf(book: str, agency: Agency, year: int | None, documents: Iterable[Document], period: str = "") -> bytes:
    """The register in the Decree 30 layout on landscape A4: the agency, the title, the year,
    then the ten columns (header repeated on every page) and one row per document."""
    rows = (cells for _doc, cells in registers.rows(book, documents))
    return table_pdf(agency, register_title(book), registers.columns(book), rows, year=year, period=period)


def table_pdf(
    agency: Agency,
    title: str,
    cols: Sequence[registers.Column],
    rows: Iterable[Sequence[str]],
    *,
    year: int | None = None,
    period: str = "",
) -> bytes:
    """Any register book in the Decree 30 layout on landscape A4: the agency, the title, the year
    or period, then the numbered columns (header repeated on every page) and the rows."""
    _register_fonts()
    size, leading, pad = 10, 12, 1.5 * mm

    def wrap(text: str, width_mm: float, font: str = _FONT) -> str:
        return "\n".join(simpleSplit(text or "", font, size, width_mm * mm - 2 * pad)) if text else ""

    header = [wrap(str(c.title), c.width_mm, _BOLD) for c in cols]
    numbers = [f"({i})" for i in range(1, len(cols) + 1)]
    body = [[wrap(cell, c.width_mm) for cell, c in zip(cells, cols, strict=True)] for cells in rows]
    table = Table([header, numbers, *body], colWidths=[c.width_mm * mm for c in cols], repeatRows=2)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, size, leading),
                ("FONT", (0, 0), (-1, 0), _BOLD, size, leading),
                ("ALIGN", (0, 0), (-1, 1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), pad),
                ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                ("TOPPADDING", (0, 0), (-1, -1), 1 * mm),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5 * mm),
            ]
        )
    )
    centred = ParagraphStyle("centred", fontName=_FONT, fontSize=11, leading=14, alignment=TA_CENTER)
    title_style = ParagraphStyle("title", parent=centred, fontName=_BOLD, fontSize=14, leading=18, spaceBefore=4 * mm)
    sub = [_("Year %(year)s") % {"year": year}] if year else []
    if period:
        sub.append(period)
    story = [
        Paragraph(escape(agency.name.upper()), ParagraphStyle("agency", parent=centred, fontName=_BOLD)),
        Paragraph(escape(title), title_style),
        Paragraph(escape(" — ".join(sub)), centred),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 3 * mm),
        Paragraph(
            escape(
                _("Printed from the document management system on %(t)s.")
                % {"t": timezone.localtime().strftime("%d/%m/%Y %H:%M")}
            ),
            ParagraphStyle("printed", fontName=_FONT, fontSize=8, leading=10),
        ),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=20 * mm,
        rightMargin=12 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{title} — {agency.name}",
        author=agency.name,
    )
    doc.build(story, canvasmaker=_numbered_canvas(_("Page")))
    return buf.getvalue()


def register_xlsx(
    book: str, agency: Agency, year: int | None, documents: Iterable[Document], period: str = ""
) -> bytes:
    rows = (cells for _doc, cells in registers.rows(book, documents))
    sheet = _("Incoming") if book == "incoming" else _("Outgoing")
    return table_xlsx(agency, register_title(book), sheet, registers.columns(book), rows, year=year, period=period)


def table_xlsx(
    agency: Agency,
    title: str,
    sheet: str,
    cols: Sequence[registers.Column],
    rows: Iterable[Sequence[str]],
    *,
    year: int | None = None,
    period: str = "",
) -> bytes:
    """Any register book as a spreadsheet in the same layout as `table_pdf`."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([agency.name.upper()])
    ws.append([title])
    ws.append([(_("Year %(year)s") % {"year": year}) if year else period])
    for r in (1, 2, 3):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(cols))
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center")
        ws.cell(row=r, column=1).font = Font(name="Times New Roman", bold=r < 3, size=13 if r == 2 else 12)
    ws.append([])
    header_row = 5
    ws.append([str(c.title) for c in cols])
    ws.append([f"({i})" for i in range(1, len(cols) + 1)])
    for i, c in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(8, c.width_mm * 0.6)
        for r in (header_row, header_row + 1):
            cell = ws.cell(row=r, column=i)
            cell.font = Font(name="Times New Roman", bold=r == header_row, size=11)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = border
    for cells in rows:
        ws.append(list(cells))
        for i in range(1, len(cols) + 1):
            cell = ws.cell(row=ws.max_row, column=i)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.font = Font(name="Times New Roman", size=11)
            cell.border = border
    ws.freeze_panes = ws.cell(row=header_row + 2, column=1)
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
