from django.urls import path

from . import views

urlpatterns = [
    path("so-hoa/", views.capture_list, name="capture-list"),
    path("so-hoa/<int:pk>/", views.capture_detail, name="capture-detail"),
    path("so-hoa/<int:pk>/chay-lai/", views.capture_rerun, name="capture-rerun"),
    path("so-hoa/<int:pk>/ban-goc/", views.capture_original, name="capture-original"),
    path("so-hoa/<int:pk>/pdfa/", views.capture_pdfa, name="capture-pdfa"),
]
