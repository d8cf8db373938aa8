"""REST API of the dossiers area."""


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
