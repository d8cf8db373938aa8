from django.urls import path, re_path

from . import views

urlpatterns = [
    path("so/<slug:slug>/", views.register, name="register"),
    re_path(r"^so/(?P<slug>[a-z]+)/in\.(?P<fmt>pdf|xlsx)$", views.register_print, name="register-print"),
    path("van-ban-den/moi/", views.incoming_new, name="incoming-new"),
    path("van-ban-di/moi/", views.outgoing_new, name="outgoing-new"),
    path("van-ban/<int:pk>/", views.detail, name="document-detail"),
    path("van-ban/<int:pk>/tep/", views.add_files, name="document-add-files"),
    path("van-ban/<int:pk>/tep/<int:file_pk>/", views.file_download, name="document-file"),
]
