from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from vanban.documents import selectors as documents


@login_required
def home(request):
    year = timezone.localdate().year
    return render(request, "vanban/home.html", {"year": year, "counts": documents.counts_for_home(request.user, year)})
