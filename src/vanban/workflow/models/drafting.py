"""Placeholder: the drafting area adds its models here (listed in __all__)."""

__all__: list[str] = []
