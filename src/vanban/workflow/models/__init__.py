"""The workflow's data, one module per area. Each area module lists its models in `__all__`."""

from .assignment import Assignment, Handler, ProgressEntry
from .dossiers import *  # noqa: F403
from .drafting import *  # noqa: F403
from .meetings import *  # noqa: F403
from .notices import *  # noqa: F403

__all__ = ["Assignment", "Handler", "ProgressEntry"]
