"""REST API of the drafting area."""


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
