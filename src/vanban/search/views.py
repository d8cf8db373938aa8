"""The search page: one box, an advanced form, ranked results with highlighted snippets."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from vanban.orgs.models import Agency

from . import services
from .forms import SearchForm

PAGE_SIZE = 20


@login_required
def search_page(request):
    form = SearchForm(request.GET or None, agencies=Agency.objects.order_by("name"))
    results, page = None, 1
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = services.Filters(
            agency=d["agency"],
            direction=d["direction"] or None,
            doc_type=d["type"],
            date_from=d["date_from"],
            date_to=d["date_to"],
            signer=d["signer"],
            urgency=d["urgency"] or None,
        )
        try:
            page = max(1, int(request.GET.get("page", 1)))
        except ValueError:
            page = 1
        results = services.search(request.user, d["q"], filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    advanced = any(form.data.get(k) for k in form.fields if k != "q") if form.is_bound else False
    return render(
        request,
        "search/search.html",
        {
            "form": form,
            "results": results,
            "page": page,
            "has_next": results is not None and page * PAGE_SIZE < results.total,
            "advanced": advanced,
            "query_string": params.urlencode(),
        },
    )
