"""REST API of the meetings area."""


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
