"""Printable registers: PDF (WeasyPrint, from the same HTML template family as the pages) and
XLSX (openpyxl), both in the Decree 30 register layout."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from vanban.orgs.models import Agency

from . import registers
from .models import Document


def register_title(book: str) -> str:
    return _("REGISTER OF INCOMING DOCUMENTS") if book == "incoming" else _("REGISTER OF OUTGOING DOCUMENTS")


def register_pdf(book: str, agency: Agency, year: int | None, documents: Iterable[Document], period: str = "") -> bytes:
    from weasyprint import HTML  # heavy import: only when printing

    html = render_to_string(
        "documents/register_print.html",
        {
            "title": register_title(book),
            "agency": agency,
            "year": year,
            "period": period,
            "columns": registers.columns(book),
            "rows": [cells for _doc, cells in registers.rows(book, documents)],
            "printed_at": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf()


def register_xlsx(book: str, agency: Agency, year: int | None, documents: Iterable[Document], period: str = "") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = (_("Incoming") if book == "incoming" else _("Outgoing"))[:31]
    cols = registers.columns(book)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([agency.name.upper()])
    ws.append([register_title(book)])
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
    for _doc, cells in registers.rows(book, documents):
        ws.append(cells)
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
