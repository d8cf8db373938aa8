"""Pages of signature verification results."""

urlpatterns: list = []
