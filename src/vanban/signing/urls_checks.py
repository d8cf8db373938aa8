"""Pages of signature verification results."""

from django.urls import path

from . import views_checks

urlpatterns = [
    path("van-ban/<int:pk>/tep/<int:file_pk>/chu-ky/", views_checks.check_detail, name="signature-check"),
    path(
        "van-ban/<int:pk>/tep/<int:file_pk>/chu-ky/kiem-tra-lai/",
        views_checks.check_again,
        name="signature-check-again",
    ),
]
