"""A hook registry for the document page: higher rooms (exchange, workflow, signing…) add a panel
to it without documents knowing them. A panel is a callable (request, document) -> HTML or None."""

from __future__ import annotations

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
