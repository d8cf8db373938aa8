"""Hook registries for the document page: higher rooms (exchange, workflow, signing…) add a panel
to it, and describe their own actions in the document's history, without documents knowing them.
A panel is a callable (request, document) -> HTML or None."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.utils.safestring import SafeString

Panel = Callable[[object, object], SafeString | str | None]
_panels: list[tuple[int, Panel]] = []


def register(panel: Panel, order: int = 100) -> Panel:
    if all(p is not panel for _o, p in _panels):
        _panels.append((order, panel))
        _panels.sort(key=lambda item: item[0])
    return panel


def render(request, document) -> list[str]:
    out = []
    for _order, panel in _panels:
        html = panel(request, document)
        if html:
            out.append(html)
    return out


# The document's history (audit entries targeting it): a label per action code and, optionally, the
# key of the entry's data shown beside it (a progress note, a result). Unknown codes show as such.
_history: dict[str, tuple[object, str | None]] = {}


def describe_actions(labels: dict[str, object], detail_keys: dict[str, str] | None = None) -> None:
    """Name actions (lazy translations) in the document's history; `detail_keys` maps an action to
    the key of its audit data shown after the label."""
    for action, label in labels.items():
        _history[action] = (label, (detail_keys or {}).get(action))


def describe(action: str, payload: str) -> tuple[str, str]:
    """(label, detail) of one audit entry for the history list."""
    label, key = _history.get(action, (action, None))
    detail = ""
    if key:
        try:
            data = json.loads(payload).get("data") or {}
        except (ValueError, AttributeError):
            data = {}
        detail = str(data.get(key) or "") if isinstance(data, dict) else ""
    return str(label), detail
