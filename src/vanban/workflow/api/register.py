"""REST API of the register area."""


def register(router) -> None:
    """Register this area's viewsets on the workflow router."""
