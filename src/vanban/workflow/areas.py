"""The areas of the workflow room besides assignment; each has a module of the same name in
models/, services/, selectors/, views/ (with `urlpatterns` and `PANELS`) and api/ (with
`register(router)`)."""

AREAS = ("drafting", "dossiers", "meetings", "notices", "register")
