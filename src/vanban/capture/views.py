"""Web pages of the capture room: a clerk's scans (upload, status, run again) and one scan's
details (original, PDF/A copy, recognised text). Thin: the form reads input, services write,
selectors read; everything is the reader's own agency's."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vanban.documents import storage
from vanban.documents.services import Upload

from . import selectors, services
from .archival import FIELDS
from .forms import CaptureForm
from .models import Capture

log = logging.getLogger(__name__)

CLERK, ADMIN = "clerk", "admin"  # orgs.models.Role (capture does not import orgs)


def _reader(user) -> None:
    if not user.has_role(CLERK, ADMIN) or user.agency_id is None:
        raise PermissionDenied(_("Only an agency's clerks and administrators see its scans."))


def _get(user, pk) -> Capture:
    """The capture if the user may see it; 404 otherwise, so that its existence is not told."""
    try:
        return selectors.visible_captures(user).select_related("document", "original", "pdfa").get(pk=pk)
    except (Capture.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def may_rerun(capture: Capture, now=None) -> bool:
    """Failed, or running without a live worker (its lease ran out; normally re-queued by the
    worker within a minute)."""
    if capture.status == Capture.Status.FAILED:
        return True
    return capture.status == Capture.Status.RUNNING and not services.holds_lease(capture, now)


@login_required
def capture_list(request):
    _reader(request.user)
    is_clerk = request.user.has_role(CLERK)
    form = None
    if is_clerk:
        initial = {}
        if request.GET.get("document", "").isdigit():
            initial = {"target": "document", "document": int(request.GET["document"])}
        form = CaptureForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    elif request.method == "POST":
        raise PermissionDenied(_("Only an agency's clerks can capture scans."))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            capture = services.capture_scan(
                request.user, upload=Upload.from_django(d["file"]), document=d["document"], metadata=form.metadata()
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("The scan is saved; its text is being recognised."))
            return redirect("capture-detail", pk=capture.pk)
    qs = selectors.visible_captures(request.user).select_related("document", "original")
    status = request.GET.get("status", "")
    if status in Capture.Status.values:
        qs = qs.filter(status=status)
    q = request.GET.get("q", "").strip()[:200]
    now = timezone.now()
    context = {"form": form, "status": status, "statuses": Capture.Status.choices, "q": q}
    if q:  # archival records by metadata and recognised text, best first
        number = _page_number(request.GET.get("page"))
        found = services.search_archive(request.user, q, scope=qs, limit=PAGE, offset=(number - 1) * PAGE)
        captures = qs.in_bulk([h.source_id for h in found.hits])
        rows = [
            (captures[h.source_id], is_clerk and may_rerun(captures[h.source_id], now), h.snippet)
            for h in found.hits
            if h.source_id in captures
        ]
        pages = max(1, -(-found.total // PAGE))
        context |= {
            "rows": rows,
            "total": found.total,
            "more": found.more,
            "page": {"number": number, "num_pages": pages},
        }
        context |= {"previous": number - 1 if number > 1 else None, "next": number + 1 if number < pages else None}
    else:
        page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
        context["rows"] = [(c, is_clerk and may_rerun(c, now), "") for c in page.object_list]
        context |= {"page": page, "previous": page.number - 1 if page.has_previous() else None}
        context["next"] = page.number + 1 if page.has_next() else None
    return render(request, "capture/list.html", context)


PAGE = 50


def _page_number(value) -> int:
    try:
        return max(1, min(int(value or 1), 10_000))
    except (TypeError, ValueError):
        return 1


@login_required
def capture_detail(request, pk):
    capture = _get(request.user, pk)
    return render(
        request,
        "capture/detail.html",
        {
            "capture": capture,
            "metadata": [
                (Capture._meta.get_field(name).verbose_name, getattr(capture, name))
                for name in FIELDS
                if getattr(capture, name) not in (None, "")
            ],
            "can_rerun": request.user.has_role(CLERK) and capture.status != Capture.Status.QUEUED,
        },
    )


@login_required
@require_POST
def capture_rerun(request, pk):
    capture = _get(request.user, pk)
    try:
        services.rerun(request.user, capture)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("The scan is queued for recognition again."))
    if request.POST.get("next") == "list":
        return redirect("capture-list")
    return redirect("capture-detail", pk=capture.pk)


def _blob_response(sha256: str, name: str, mime: str):
    """The stored bytes as an attachment; never served when they no longer match their SHA-256."""
    try:
        content = storage.verified_copy(sha256)
    except storage.CorruptFile:
        log.error("Stored scan %s failed its integrity check", sha256)
        return HttpResponse(
            _("This file failed its integrity check and is not served. Report it to the administrator."),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    except FileNotFoundError:
        log.error("Stored scan %s is missing", sha256)
        return HttpResponse(
            _("This file is missing from storage. Report it to the administrator."),
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response = FileResponse(content, content_type=mime, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


def original_response(capture: Capture):
    return _blob_response(capture.original_id, capture.original_name, capture.original.mime)


def pdfa_response(capture: Capture):
    if capture.pdfa_id is None:
        raise Http404
    stem = capture.original_name.rsplit(".", 1)[0] or "scan"
    return _blob_response(capture.pdfa_id, f"{stem}.pdfa.pdf", "application/pdf")


@login_required
def capture_original(request, pk):
    return original_response(_get(request.user, pk))


@login_required
def capture_pdfa(request, pk):
    return pdfa_response(_get(request.user, pk))
