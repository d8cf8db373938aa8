from django.urls import path

from . import views

urlpatterns = [
    path("van-ban/<int:pk>/lien-thong/", views.panel, name="exchange-panel"),
    path("van-ban/<int:pk>/lien-thong/gui/", views.send, name="exchange-send"),
    path("van-ban/<int:pk>/lien-thong/thu-hoi/", views.recall, name="exchange-recall"),
    path("van-ban/<int:pk>/lien-thong/cap-nhat/", views.update, name="exchange-update"),
    path("van-ban/<int:pk>/lien-thong/thay-the/", views.replace, name="exchange-replace"),
    path("van-ban/<int:pk>/edxml/", views.export, name="document-edxml"),
    path("lien-thong/cho-tiep-nhan/", views.arrivals, name="arrivals"),
    path("lien-thong/den/<int:pk>/", views.arrival_detail, name="arrival-detail"),
    path("lien-thong/den/<int:pk>/tep/<int:index>/", views.arrival_attachment, name="arrival-attachment"),
    path("lien-thong/den/<int:pk>/vao-so/", views.arrival_register, name="arrival-register"),
    path("lien-thong/den/<int:pk>/tra-lai/", views.arrival_refuse, name="arrival-refuse"),
    path("lien-thong/den/<int:pk>/thu-hoi/", views.arrival_recall, name="arrival-recall"),
    path("lien-thong/nhap/", views.import_file, name="exchange-import"),
    path("lien-thong/khong-gui-duoc/", views.undeliverable, name="undeliverable"),
    path("lien-thong/khong-gui-duoc/<int:pk>/gui-lai/", views.resend, name="exchange-resend"),
    path("api/v1/exchange/inbox/", views.inbox, name="exchange-inbox"),
]
