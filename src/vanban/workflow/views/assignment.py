"""Pages of the workflow: the assignment panel on an incoming document's page, its actions, and
each person's worklist."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vanban.documents import selectors as documents
from vanban.documents.models import Direction, Document

from ..forms.assignment import AssignForm, FinishForm, ProgressForm
from ..models import Assignment, Handler
from ..selectors import assignment as selectors
from ..services import assignment as services


def _flash_errors(request, exc: ValidationError) -> None:
    for m in exc.messages:
        flash.error(request, m)


def _reply_choices(agency_id: int):
    return Document.objects.filter(
        agency_id=agency_id, direction__in=[Direction.OUTGOING, Direction.INTERNAL]
    ).order_by("-reg_year", "-reg_seq")[:200]


def document_panel(request, doc: Document) -> str | None:
    """The assignment panel of an incoming document's page (a documents.panels hook)."""
    if doc.direction != Direction.INCOMING:
        return None
    user = request.user
    rows = []
    today = timezone.localdate()
    for a in selectors.assignments_of(doc):
        is_open = a.state == Assignment.State.OPEN
        can_finish = is_open and selectors.handles(user, a, (Handler.Role.LEAD,))
        finish_form = None
        if can_finish:
            finish_form = FinishForm(prefix=f"f{a.pk}")
            finish_form.fields["reply"].queryset = _reply_choices(a.agency_id)
        rows.append(
            {
                "a": a,
                "overdue": selectors.is_overdue(a, today),
                "can_progress": is_open and selectors.handles(user, a, (Handler.Role.LEAD, Handler.Role.CO)),
                "finish_form": finish_form,
                "reassign_form": AssignForm(agency=doc.agency, unit=selectors.lead_of(a).unit, prefix=f"r{a.pk}")
                if is_open and selectors.may_reassign(user, a) and not any(c.state == "open" for c in a.children.all())
                else None,
            }
        )
    assign_form = None
    if not rows and doc.withdrawn_at is None and selectors.may_assign(user, doc):
        assign_form = AssignForm(agency=doc.agency)
    if not rows and assign_form is None:
        return None
    return render_to_string(
        "workflow/_document_panel.html",
        {"doc": doc, "rows": rows, "assign_form": assign_form, "progress_form": ProgressForm()},
        request=request,
    )


def _assignment(request, pk) -> Assignment:
    """An assignment of a document the user may read; 404 otherwise."""
    try:
        a = Assignment.objects.select_related("document").get(pk=pk)
    except Assignment.DoesNotExist as exc:
        raise Http404 from exc
    documents.get_document(request.user, a.document_id)
    return a


def _act(request, doc_pk: int, action, done: str):
    try:
        action()
    except ValidationError as exc:
        _flash_errors(request, exc)
    except PermissionDenied as exc:
        flash.error(request, str(exc))
    else:
        flash.success(request, done)
    return redirect("document-detail", pk=doc_pk)


@login_required
@require_POST
def assign(request, pk):
    doc = documents.get_document(request.user, pk)
    form = AssignForm(request.POST, agency=doc.agency)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                flash.error(request, e)
        return redirect("document-detail", pk=doc.pk)
    return _act(
        request, doc.pk, lambda: services.assign(request.user, doc, **form.targets()), _("The document was assigned.")
    )


@login_required
@require_POST
def reassign(request, pk):
    a = _assignment(request, pk)
    lead = selectors.lead_of(a)
    form = AssignForm(request.POST, agency=a.document.agency, unit=lead.unit, prefix=f"r{a.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                flash.error(request, e)
        return redirect("document-detail", pk=a.document_id)
    return _act(
        request,
        a.document_id,
        lambda: services.reassign(request.user, a, **form.targets()),
        _("The work was re-assigned."),
    )


@login_required
@require_POST
def progress(request, pk):
    a = _assignment(request, pk)
    form = ProgressForm(request.POST)
    note = form.data.get("note", "")
    return _act(
        request, a.document_id, lambda: services.record_progress(request.user, a, note), _("Progress recorded.")
    )


@login_required
@require_POST
def finish(request, pk):
    a = _assignment(request, pk)
    form = FinishForm(request.POST, prefix=f"f{a.pk}")
    form.fields["reply"].queryset = _reply_choices(a.agency_id)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                flash.error(request, e)
        return redirect("document-detail", pk=a.document_id)
    return _act(
        request,
        a.document_id,
        lambda: services.finish(request.user, a, result=form.cleaned_data["result"], reply=form.cleaned_data["reply"]),
        _("The work is done."),
    )


@login_required
def worklist(request):
    work = selectors.worklist(request.user)
    tab = request.GET.get("tab", "to_handle")
    tabs = [
        ("to_handle", _("To handle"), work.to_handle),
        ("co_handling", _("Co-handling"), work.co_handling),
        ("for_information", _("For information"), work.for_information),
        ("overdue", _("Overdue"), work.overdue),
        ("done", _("Done"), work.done),
    ]
    if tab not in {t[0] for t in tabs}:
        tab = "to_handle"
    items = next(items for key, _label, items in tabs if key == tab)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "workflow/worklist.html",
        {
            "tabs": [(key, label, len(items)) for key, label, items in tabs],
            "tab": tab,
            "page": page,
            "today": timezone.localdate(),
        },
    )
