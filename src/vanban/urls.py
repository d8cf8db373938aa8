from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from vanban import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", auth_views.LoginView.as_view(template_name="vanban/login.html"), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("vanban.documents.urls")),
    path("", include("vanban.orgs.urls")),
    path("", include("vanban.exchange.urls")),
    path("", include("vanban.workflow.urls")),
    path("", include("vanban.signing.urls")),
    path("", include("vanban.signing.urls_checks")),
    path("", include("vanban.search.urls")),
    path("", include("vanban.capture.urls")),
    path("api/v1/", include("vanban.documents.api_urls")),
    path("api/v1/", include("vanban.orgs.api_urls")),
    path("api/v1/", include("vanban.exchange.api_urls")),
    path("api/v1/", include("vanban.workflow.api_urls")),
    path("api/v1/", include("vanban.signing.api_urls")),
    path("api/v1/", include("vanban.search.api_urls")),
    path("api/v1/", include("vanban.capture.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
