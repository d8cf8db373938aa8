"""Public PKI services (timestamps, CRLs, OCSP) and the administrators' key pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("pki/tsa/", views.tsa, name="pki-tsa"),
    path("pki/crl/<slug:slug>.crl", views.crl, name="pki-crl"),
    path("pki/ocsp/", views.ocsp, name="pki-ocsp"),
    path("pki/ocsp/<path:encoded>", views.ocsp_get, name="pki-ocsp-get"),
    path("van-ban/<int:pk>/ky-so/", views.document_sign, name="document-sign"),
    path("van-ban/<int:pk>/ky-so-co-quan/", views.document_seal, name="document-seal"),
    path("quan-tri/chu-ky-so/", views.identity_list, name="signing-identities"),
    path("quan-tri/chu-ky-so/nhap-p12/", views.identity_import, name="signing-identity-import"),
    path("quan-tri/chu-ky-so/<int:pk>/thu-hoi/", views.identity_revoke, name="signing-identity-revoke"),
    path("quan-tri/chu-ky-so/goc-tin-cay/", views.trust_roots, name="signing-trust-roots"),
]
