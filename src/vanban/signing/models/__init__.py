"""The signing room's data: keys, certificates and trust (keys.py), results of verifying PDF
signatures (checks.py), and who signed which document (signatures.py)."""

from .checks import *  # noqa: F403
from .keys import *  # noqa: F403
from .signatures import *  # noqa: F403
