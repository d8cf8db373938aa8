"""Pages of work dossiers: the list and a new dossier, a dossier with its documents (mục lục văn
bản trong hồ sơ), the yearly dossier list (danh mục hồ sơ), hand-overs to the archive with their
content lists (mục lục hồ sơ nộp lưu), both also as DOCX; and the panel on a document's page."""

from __future__ import annotations

import io

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from docx import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from vanban.documents import selectors as documents
from vanban.documents.models import Document

from ..forms.dossiers import CloseForm, DossierForm, FileForm, FilterForm, HandoverForm
from ..models import Dossier
from ..selectors import dossiers as selectors
from ..services import dossiers as services


def _flash(request, exc: Exception) -> None:
    for m in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
        flash.error(request, m)


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for e in errors:
            flash.error(request, e)


def _act(request, action, done: str, to: str) -> HttpResponse:
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        _flash(request, exc)
    else:
        flash.success(request, done)
    return redirect(to)


# --- the list and a new dossier -----------------------------------------------------------------


@login_required
def dossier_list(request):
    user = request.user
    form = None
    if request.method == "POST":
        form = DossierForm(request.POST, agency=user.agency) if user.agency_id else None
        if form is not None and form.is_valid():
            try:
                d = services.open_dossier(user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    _flash(request, exc)
            else:
                flash.success(request, _("The dossier was opened."))
                return redirect("dossier-detail", pk=d.pk)
    years = selectors.years_of(user)
    filters = FilterForm(request.GET or None, years=years)
    year = state = None
    if filters.is_bound and filters.is_valid():
        year, state = filters.cleaned_data["year"], filters.cleaned_data["state"] or None
    if form is None and selectors.may_open(user):
        form = DossierForm(agency=user.agency, initial={"creator": user.pk, "unit": user.unit_id})
    return render(
        request,
        "workflow/dossiers/list.html",
        {
            "dossiers": selectors.dossiers_for(user, year=year, state=state)[:500],
            "filters": filters,
            "form": form if selectors.may_open(user) else None,
            "catalog_year": year or timezone.localdate().year,
            "may_hand_over": selectors.may_hand_over(user),
        },
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


# --- one dossier ----------------------------------------------------------------------------------


@login_required
def dossier_detail(request, pk):
    user = request.user
    d = selectors.get_dossier(user, pk)
    may_modify = selectors.may_modify(user, d)
    is_open = d.state == Dossier.State.OPEN
    items = list(selectors.items_visible(user, d))
    candidates, q = [], request.GET.get("q", "").strip()
    if q and may_modify and is_open:
        filed = {i.document_id for i in d.items.all()}
        found = documents.filtered(documents.visible_documents(user), documents.RegisterFilter(book=None, text=q))
        candidates = [doc for doc in found.order_by("-issued_date", "-pk")[:30] if doc.pk not in filed][:20]
    return render(
        request,
        "workflow/dossiers/detail.html",
        {
            "d": d,
            "items": items,
            "hidden": d.doc_total - len(items),
            "may_modify": may_modify,
            "is_open": is_open,
            "edit_form": DossierForm.for_dossier(d) if may_modify and is_open else None,
            "close_form": CloseForm() if may_modify and is_open else None,
            "q": q,
            "candidates": candidates,
        },
    )


@login_required
@require_POST
def dossier_edit(request, pk):
    d = selectors.get_dossier(request.user, pk)
    form = DossierForm.for_dossier(d, request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("dossier-detail", pk=d.pk)
    return _act(
        request,
        lambda: services.update_dossier(request.user, d, **form.cleaned_data),
        _("The dossier was saved."),
        reverse("dossier-detail", args=[d.pk]),
    )


def _document(request, pk) -> Document:
    return documents.get_document(request.user, pk)


@login_required
@require_POST
def dossier_add(request, pk):
    """File a document in this dossier (from the dossier's search, or a document's panel)."""
    d = selectors.get_dossier(request.user, pk)
    try:
        doc = _document(request, request.POST.get("document"))
    except Http404:
        flash.error(request, _("No such document."))
        return redirect("dossier-detail", pk=d.pk)
    back = request.POST.get("next") == "document"
    return _act(
        request,
        lambda: services.add_document(request.user, d, doc),
        _("The document was filed in the dossier."),
        reverse("document-detail", args=[doc.pk]) + "#dossiers" if back else reverse("dossier-detail", args=[d.pk]),
    )


@login_required
@require_POST
def document_file(request, pk):
    """The document panel's form: file this document in the chosen dossier."""
    doc = _document(request, pk)
    form = FileForm(request.POST)
    form.fields["dossier"].queryset = selectors.dossiers_for(request.user, state=Dossier.State.OPEN)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect(reverse("document-detail", args=[doc.pk]) + "#dossiers")
    return _act(
        request,
        lambda: services.add_document(request.user, form.cleaned_data["dossier"], doc),
        _("The document was filed in the dossier."),
        reverse("document-detail", args=[doc.pk]) + "#dossiers",
    )


@login_required
@require_POST
def dossier_remove(request, pk, document_pk):
    d = selectors.get_dossier(request.user, pk)
    doc = _document(request, document_pk)
    return _act(
        request,
        lambda: services.remove_document(request.user, d, doc),
        _("The document was taken out of the dossier."),
        reverse("dossier-detail", args=[d.pk]),
    )


@login_required
@require_POST
def dossier_close(request, pk):
    d = selectors.get_dossier(request.user, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("dossier-detail", pk=d.pk)
    return _act(
        request,
        lambda: services.close_dossier(request.user, d, end_date=form.cleaned_data["end_date"]),
        _("The dossier was closed."),
        reverse("dossier-detail", args=[d.pk]),
    )


@login_required
@require_POST
def dossier_reopen(request, pk):
    d = selectors.get_dossier(request.user, pk)
    return _act(
        request,
        lambda: services.reopen(request.user, d),
        _("The dossier was reopened."),
        reverse("dossier-detail", args=[d.pk]),
    )


# --- the yearly dossier list ------------------------------------------------------------------


def _docx_base(landscape: bool = True):
    doc = DocxDocument()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    # Decree 30 margins: top/bottom 20, left 30, right 15 mm; Times New Roman.
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    return doc


def _docx_head(doc, agency_name: str, title: str) -> None:
    p = doc.add_paragraph()
    p.add_run(agency_name.upper()).bold = True
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(title)
    run.bold = True
    run.font.size = Pt(14)


def _docx_table(doc, header: list[str], rows: list[list[str] | str]):
    """A bordered table; a row given as a string is a heading row across all columns."""
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in rows:
        cells = table.add_row().cells
        if isinstance(row, str):
            merged = cells[0].merge(cells[-1])
            merged.text = ""
            merged.paragraphs[0].add_run(row).bold = True
        else:
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
    return table


def _docx_response(doc, filename: str) -> HttpResponse:
    out = io.BytesIO()
    doc.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _keeper(d: Dossier) -> str:
    return " / ".join(x for x in (d.unit.name if d.unit else "", d.creator.get_full_name()) if x)


@login_required
def catalog(request, year):
    user = request.user
    if not user.agency_id:
        raise Http404
    return render(
        request,
        "workflow/dossiers/catalog.html",
        {"year": year, "sections": selectors.catalog(user.agency, year), "agency": user.agency},
    )


@login_required
def catalog_docx(request, year):
    """Danh mục hồ sơ as DOCX, in the columns of the Decree 30 appendix."""
    user = request.user
    if not user.agency_id:
        raise Http404
    doc = _docx_base()
    _docx_head(doc, user.agency.name, _("LIST OF DOSSIERS FOR %(year)s") % {"year": year})
    header = [
        _("Dossier number and notation"),
        _("Heading and dossier title"),
        _("Retention period"),
        _("Unit / person keeping the dossier"),
        _("Notes"),
    ]
    rows: list[list[str] | str] = []
    for s in selectors.catalog(user.agency, year):
        rows.append(s.unit.name if s.unit else _("Other dossiers"))
        rows.extend([d.notation, d.title, d.maintenance, _keeper(d), d.description] for d in s.dossiers)
    _docx_table(doc, header, rows)
    return _docx_response(doc, f"danh-muc-ho-so-{year}.docx")


# --- hand-over to the archive ------------------------------------------------------------------


@login_required
def handovers(request):
    user = request.user
    if not user.agency_id:
        raise Http404
    may = selectors.may_hand_over(user)
    closed = selectors.dossiers_for(user, state=Dossier.State.CLOSED)
    form = HandoverForm(request.POST or None, closed=closed) if may else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only the agency's clerks and leaders hand dossiers over to the archive."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                h = services.hand_over(
                    user,
                    list(data["dossiers"]),
                    handed_on=data["handed_on"],
                    received_by=data["received_by"],
                    note=data["note"],
                )
            except (ValidationError, PermissionDenied) as exc:
                _flash(request, exc)
            else:
                flash.success(request, _("The dossiers were handed over to the archive."))
                return redirect("dossier-handover", pk=h.pk)
    return render(
        request,
        "workflow/dossiers/handovers.html",
        {"form": form, "handovers": selectors.handovers_for(user), "today": timezone.localdate()},
        status=400 if form is not None and form.is_bound and form.errors else 200,
    )


@login_required
def handover_detail(request, pk):
    h = selectors.get_handover(request.user, pk)
    return render(
        request,
        "workflow/dossiers/handover.html",
        {"h": h, "dossiers": selectors.handover_contents(h), "agency": request.user.agency},
    )


@login_required
def handover_docx(request, pk):
    """Mục lục hồ sơ nộp lưu as DOCX."""
    h = selectors.get_handover(request.user, pk)
    doc = _docx_base()
    _docx_head(doc, request.user.agency.name, _("LIST OF DOSSIERS HANDED OVER TO THE ARCHIVE"))
    doc.add_paragraph(
        _("Handed over on %(date)s; received by %(name)s.")
        % {"date": h.handed_on.strftime("%d/%m/%Y"), "name": h.received_by}
    )
    header = [
        _("Item no."),
        _("Dossier code"),
        _("Dossier title"),
        _("Dates"),
        _("Retention period"),
        _("Documents"),
        _("Pages"),
        _("Notes"),
    ]
    rows = [
        [
            str(n),
            d.file_code,
            d.title,
            _dates(d),
            d.maintenance,
            str(d.doc_total),
            str(d.page_total),
            d.description,
        ]
        for n, d in enumerate(selectors.handover_contents(h), 1)
    ]
    _docx_table(doc, header, rows)
    return _docx_response(doc, f"muc-luc-nop-luu-{h.pk}.docx")


def _dates(d: Dossier) -> str:
    start = d.start_date.strftime("%d/%m/%Y") if d.start_date else ""
    end = d.end_date.strftime("%d/%m/%Y") if d.end_date else ""
    return f"{start} – {end}"


# --- the panel on a document's page ---------------------------------------------------------------


def document_panel(request, doc: Document) -> str | None:
    """Which of the agency's dossiers hold this document, and a form to file it in one of mine."""
    user = request.user
    holding = selectors.dossiers_of_document(user, doc)
    held = {d.pk for d in holding}
    mine = [d for d in selectors.open_dossiers_to_file_in(user) if d.pk not in held]
    if not holding and not mine:
        return None
    form = None
    if mine:
        form = FileForm()
        form.fields["dossier"].queryset = Dossier.objects.filter(pk__in=[d.pk for d in mine]).order_by(
            "-year", "notation"
        )
        form.fields["dossier"].label_from_instance = lambda d: f"{d.year}/{d.notation} — {d.title[:80]}"
    return render_to_string(
        "workflow/dossiers/_panel.html", {"doc": doc, "holding": holding, "form": form}, request=request
    )


urlpatterns = [
    path("ho-so/", dossier_list, name="dossier-list"),
    path("ho-so/<int:pk>/", dossier_detail, name="dossier-detail"),
    path("ho-so/<int:pk>/sua/", dossier_edit, name="dossier-edit"),
    path("ho-so/<int:pk>/them-van-ban/", dossier_add, name="dossier-add-document"),
    path("ho-so/<int:pk>/bo-van-ban/<int:document_pk>/", dossier_remove, name="dossier-remove-document"),
    path("ho-so/<int:pk>/dong/", dossier_close, name="dossier-close"),
    path("ho-so/<int:pk>/mo-lai/", dossier_reopen, name="dossier-reopen"),
    path("ho-so/danh-muc/<int:year>/", catalog, name="dossier-catalog"),
    path("ho-so/danh-muc/<int:year>.docx", catalog_docx, name="dossier-catalog-docx"),
    path("ho-so/nop-luu/", handovers, name="dossier-handovers"),
    path("ho-so/nop-luu/<int:pk>/", handover_detail, name="dossier-handover"),
    path("ho-so/nop-luu/<int:pk>.docx", handover_docx, name="dossier-handover-docx"),
    path("van-ban/<int:pk>/dua-vao-ho-so/", document_file, name="document-file-in-dossier"),
]
# (order, function) pairs registered as documents.panels on the document page.
PANELS: list = [(40, document_panel)]
