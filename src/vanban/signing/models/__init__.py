"""The signing room's data: keys, certificates and trust (keys.py, checks.py for the results of
verifying PDF signatures)."""

from .checks import *  # noqa: F403
from .keys import *  # noqa: F403
