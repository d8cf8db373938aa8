"""Pages of the drafting area."""

urlpatterns: list = []
# (order, function) pairs registered as documents.panels on the document page.
PANELS: list = []
