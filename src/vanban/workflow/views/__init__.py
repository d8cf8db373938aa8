"""Pages of the workflow, one module per area. Each module may define `urlpatterns` (collected by
`vanban.workflow.urls`) and `PANELS`, a list of `(order, function)` for documents.panels."""
