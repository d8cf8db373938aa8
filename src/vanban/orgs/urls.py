from django.urls import path

from . import views

urlpatterns = [
    path("ca-nhan/", views.profile, name="profile"),
    path("ca-nhan/mat-khau/", views.password_change, name="password-change"),
    path("ca-nhan/token/<int:pk>/thu-hoi/", views.token_revoke, name="token-revoke"),
    path("quan-tri/co-quan/", views.agency_list, name="agency-list"),
    path("quan-tri/co-quan/moi/", views.agency_create, name="agency-create"),
    path("quan-tri/co-quan/<int:pk>/", views.agency_detail, name="agency-detail"),
    path("quan-tri/co-quan/<int:pk>/sua/", views.agency_edit, name="agency-edit"),
    path("quan-tri/co-quan/<int:pk>/doi-ten/", views.agency_rename, name="agency-rename"),
    path("quan-tri/co-quan/<int:pk>/hop-nhat/", views.agency_merge, name="agency-merge"),
    path("quan-tri/co-quan/<int:pk>/giai-the/", views.agency_close, name="agency-close"),
    path("quan-tri/co-quan/<int:pk>/don-vi/moi/", views.unit_create, name="unit-create"),
    path("quan-tri/don-vi/<int:pk>/", views.unit_edit, name="unit-edit"),
    path("quan-tri/nguoi-dung/", views.person_list, name="person-list"),
    path("quan-tri/nguoi-dung/moi/", views.person_create, name="person-create"),
    path("quan-tri/nguoi-dung/<int:pk>/", views.person_edit, name="person-edit"),
]
