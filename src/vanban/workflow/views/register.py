"""Pages of the register area: the incoming-processing register and the document history."""

urlpatterns: list = []
# (order, function) pairs registered as documents.panels on the document page.
PANELS: list = []
