"""Pages of the register area: the incoming-processing register (sổ theo dõi giải quyết văn bản
đến) with its print-outs, and the document's history panel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, re_path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vanban.documents import exports

from ..forms.register import ProcessingFilterForm
from ..selectors import register as selectors

# As for the documents' registers: a year of a large agency fits; beyond, narrow the dates.
MAX_PRINT_ROWS = 20000


def title() -> str:
    return _("REGISTER OF INCOMING DOCUMENT PROCESSING")


def _filters(request) -> tuple[ProcessingFilterForm, selectors.ProcessingFilter]:
    if not selectors.may_view(request.user):
        raise PermissionDenied(_("Only the agency's clerks and leaders keep the processing register."))
    form = ProcessingFilterForm(request.GET or None)
    f = selectors.ProcessingFilter()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        f.year, f.date_from, f.date_to, f.overdue = d["year"], d["date_from"], d["date_to"], d["overdue"]
    elif not form.is_bound:
        f.year = timezone.localdate().year
        form = ProcessingFilterForm(initial={"year": f.year})
    return form, f


def _without_page(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
def processing_register(request):
    form, f = _filters(request)
    today = timezone.localdate()
    page = Paginator(selectors.processing_documents(request.user, f, today), 50).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "columns": selectors.COLUMNS,
        "rows": selectors.rows(page.object_list, today),
        "title": title(),
        "query_without_page": _without_page(request) if form.is_bound else f"year={f.year}",
    }
    template = "workflow/register/_table.html" if request.headers.get("HX-Request") else "workflow/register/page.html"
    return render(request, template, context)


@login_required
def processing_register_print(request, fmt):
    form, f = _filters(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(_("The filter is not valid."), status=400, content_type="text/plain; charset=utf-8")
    qs = selectors.processing_documents(request.user, f)
    total = qs.count()
    if total > MAX_PRINT_ROWS:
        return HttpResponse(
            _("The register has %(n)d entries for this filter; print at most %(max)d at a time by narrowing the dates.")
            % {"n": total, "max": MAX_PRINT_ROWS},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    # Printed in register order, oldest first, as the paper book is written.
    cells = [c for _doc, c in reversed(selectors.rows(qs))]
    period = ""
    if f.date_from or f.date_to:
        period = _("From %(a)s to %(b)s") % {
            "a": f.date_from.strftime("%d/%m/%Y") if f.date_from else "…",
            "b": f.date_to.strftime("%d/%m/%Y") if f.date_to else "…",
        }
    if f.overdue:
        period = " — ".join(p for p in (period, _("overdue only")) if p)
    stem = f"so-theo-doi-giai-quyet-{f.year or 'tat-ca'}"
    agency = request.user.agency
    if fmt == "pdf":
        data = exports.table_pdf(agency, title(), selectors.COLUMNS, cells, year=f.year, period=period)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, f"{stem}.pdf")
    else:
        data = exports.table_xlsx(
            agency, title(), _("Processing"), selectors.COLUMNS, cells, year=f.year, period=period
        )
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}.xlsx")
    return response


# The workflow's actions in a document's history (the documents room lists the entries).
HISTORY_LABELS = {
    "workflow.assign": gettext_lazy("assigned the document for handling"),
    "workflow.reassign": gettext_lazy("re-assigned the work inside the unit"),
    "workflow.progress": gettext_lazy("recorded progress"),
    "workflow.finish": gettext_lazy("finished the work"),
    "workflow.drafting.issue": gettext_lazy("issued the approved draft"),
    "workflow.meetings.invite_agencies": gettext_lazy("invited other agencies to the meeting"),
    "workflow.meetings.add_entry": gettext_lazy("put the invitation on the leaders' schedule"),
}
HISTORY_DETAILS = {
    "workflow.assign": "instruction",
    "workflow.reassign": "instruction",
    "workflow.progress": "note",
    "workflow.finish": "result",
}


urlpatterns = [
    path("so-theo-doi-giai-quyet/", processing_register, name="processing-register"),
    re_path(
        r"^so-theo-doi-giai-quyet/in\.(?P<fmt>pdf|xlsx)$", processing_register_print, name="processing-register-print"
    ),
]
PANELS: list = []
