"""Pages of the notices area: a person's notices, opening one (marks it read), marking all read."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..selectors import notices as selectors
from ..services import notices as services


@login_required
def notice_list(request):
    page = Paginator(selectors.notices_of(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "workflow/notices/list.html", {"page": page})


@login_required
def notice_open(request, pk):
    """Follow a notice to what it is about; opening it is reading it."""
    notice = selectors.get_notice(request.user, pk)
    services.mark_read(request.user, [notice.pk])
    # Only links inside the site: a notice is never a way out to another host.
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("notices")


@login_required
@require_POST
def mark_all_read(request):
    services.mark_read(request.user)
    flash.success(request, _("All notices are marked as read."))
    return redirect("notices")


urlpatterns = [
    path("thong-bao/", notice_list, name="notices"),
    path("thong-bao/<int:pk>/", notice_open, name="notice-open"),
    path("thong-bao/da-doc/", mark_all_read, name="notices-mark-read"),
]
# (order, function) pairs registered as documents.panels on the document page.
PANELS: list = []
