"""REST API of the notices area."""


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
