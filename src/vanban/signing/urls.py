"""Public PKI services (timestamps, CRLs, OCSP) and the administrators' key pages."""

urlpatterns: list = []
