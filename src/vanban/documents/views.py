"""Web pages for registers and documents. Thin: forms read input, services write, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vanban.audit.selectors import entries_for
from vanban.orgs.models import Role
from vanban.orgs.selectors import units_of

from . import exports, panels, registers, selectors, services
from .downloads import file_response
from .forms import AddFilesForm, IncomingForm, OutgoingForm, RegisterFilterForm
from .services import Upload

BOOKS = {"den": "incoming", "di": "outgoing"}
HISTORY_LABELS = {
    "document.register_incoming": gettext_lazy("registered the incoming document"),
    "document.register_outgoing": gettext_lazy("numbered and registered the document"),
    "document.add_files": gettext_lazy("added files"),
    "document.withdraw": gettext_lazy("withdrew the document at its sender's request"),
    "document.replaced": gettext_lazy("noted that the document was replaced"),
    "document.update_from_sender": gettext_lazy("took the sender's corrections"),
    "exchange.dispatch": gettext_lazy("sent the document through the exchange"),
}


def _book(slug: str) -> str:
    try:
        return BOOKS[slug]
    except KeyError as exc:
        raise Http404 from exc


def _filters(request, book: str) -> tuple[RegisterFilterForm, selectors.RegisterFilter]:
    form = RegisterFilterForm(request.GET or None)
    f = selectors.RegisterFilter(book=book)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        f.year, f.date_from, f.date_to = d["year"], d["date_from"], d["date_to"]
        f.doc_type, f.urgent, f.unhandled, f.text = d["type"], d["urgent"], d["unhandled"], d["q"].strip()
    elif not form.is_bound:
        f.year = timezone.localdate().year
        form = RegisterFilterForm(initial={"year": f.year})
    return form, f


@login_required
def register(request, slug):
    book = _book(slug)
    form, f = _filters(request, book)
    qs = selectors.register(request.user, f)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "book": book,
        "slug": slug,
        "form": form,
        "page": page,
        "columns": registers.columns(book),
        "rows": list(registers.rows(book, page.object_list)),
        "query": request.GET.urlencode() if form.is_bound else f"year={f.year}",
        "query_without_page": _without_page(request),
        "title": exports.register_title(book),
        "link_col": 2 if book == "incoming" else 1,
    }
    template = "documents/_register_table.html" if request.headers.get("HX-Request") else "documents/register.html"
    return render(request, template, context)


def _without_page(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


# A year of a large agency's register fits; beyond that the clerk narrows the dates.
MAX_PRINT_ROWS = 20000


@login_required
def register_print(request, slug, fmt):
    book = _book(slug)
    form, f = _filters(request, book)
    if form.is_bound and not form.is_valid():
        return HttpResponse(_("The filter is not valid."), status=400, content_type="text/plain; charset=utf-8")
    qs = selectors.register(request.user, f)
    total = qs.count()
    if total > MAX_PRINT_ROWS:
        return HttpResponse(
            _("The register has %(n)d entries for this filter; print at most %(max)d at a time by narrowing the dates.")
            % {"n": total, "max": MAX_PRINT_ROWS},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    # Registers print in register order: oldest first, as the paper book is written.
    rows = list(reversed(list(qs)))
    agency = request.user.agency
    period = ""
    if f.date_from or f.date_to:
        period = _("From %(a)s to %(b)s") % {
            "a": f.date_from.strftime("%d/%m/%Y") if f.date_from else "…",
            "b": f.date_to.strftime("%d/%m/%Y") if f.date_to else "…",
        }
    stem = f"so-van-ban-{slug}-{f.year or 'tat-ca'}"
    if fmt == "pdf":
        data = exports.register_pdf(book, agency, f.year, rows, period)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, f"{stem}.pdf")
    else:
        data = exports.register_xlsx(book, agency, f.year, rows, period)
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}.xlsx")
    return response


def _require_clerk(user):
    if not user.has_role(Role.CLERK):
        raise PermissionDenied(_("Only an agency's clerks can register documents."))


@login_required
def incoming_new(request):
    _require_clerk(request.user)
    form = IncomingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.register_incoming(
                request.user, uploads=form.upload_list(), **services.service_arguments(form.cleaned_data)
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            doc = result.document
            messages.success(request, _("Registered with arrival number %(n)s.") % {"n": doc.reg_seq})
            for w in result.warnings:
                messages.warning(request, w)
            return redirect("document-detail", pk=doc.pk)
    return render(request, "documents/incoming_form.html", {"form": form})


@login_required
def outgoing_new(request):
    _require_clerk(request.user)
    units = units_of(request.user.agency_id)
    form = OutgoingForm(request.POST or None, request.FILES or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.register_outgoing(
                request.user, uploads=form.upload_list(), **services.service_arguments(form.cleaned_data)
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            doc = result.document
            messages.success(request, _("Registered as %(code)s.") % {"code": doc.code})
            return redirect("document-detail", pk=doc.pk)
    return render(request, "documents/outgoing_form.html", {"form": form})


@login_required
def detail(request, pk):
    doc = selectors.get_document(request.user, pk)
    history = [(e, *panels.describe(e.action, e.payload)) for e in entries_for(doc)]
    can_add = request.user.has_role(Role.CLERK) and doc.agency_id == request.user.agency_id
    return render(
        request,
        "documents/detail.html",
        {
            "doc": doc,
            "files": doc.files.select_related("blob"),
            "history": history,
            "panels": panels.render(request, doc),
            "add_form": AddFilesForm() if can_add else None,
        },
    )


@login_required
@require_POST
def add_files(request, pk):
    doc = selectors.get_document(request.user, pk)
    form = AddFilesForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_files(request.user, doc, [Upload.from_django(u) for u in form.cleaned_data["files"]])
        except ValidationError as exc:
            for msgs in exc.message_dict.values():
                for m in msgs:
                    messages.error(request, m)
        else:
            messages.success(request, _("Files added."))
    else:
        messages.error(request, _("Choose at least one file."))
    return redirect(reverse("document-detail", args=[doc.pk]))


@login_required
def file_download(request, pk, file_pk):
    return file_response(selectors.get_file(request.user, pk, file_pk))
