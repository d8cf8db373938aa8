"""REST API of the register area. The processing register is a read-only book printed from the
assignments: API clients read the same data through `workflow/assignments` (and documents
through the documents API); its PDF/XLSX print-outs are the page's export URLs. Nothing to
register here."""


def register(router) -> None:
    """Register this area's viewsets on the workflow router (none: see the module docstring)."""
