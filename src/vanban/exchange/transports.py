"""Moving signed messages: the local transport (same database: the receiver's service is called
directly) and HTTPS POST to a peer's inbox. Both return (HTTP status, body)."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

from django.conf import settings

CONTENT_TYPE = "application/xml; charset=utf-8"


class TransportError(Exception):
    """The message did not get an answer (connection refused, timeout, TLS failure…): retry."""


def _ssl_context() -> ssl.SSLContext:
    cafile = settings.VANBAN.get("EXCHANGE_TLS_CA_FILE")
    return ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()


def post(url: str, payload: bytes, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 (only http/https URLs are configured for peers)
        url, data=payload, method="POST", headers={"Content-Type": CONTENT_TYPE, "User-Agent": "vanban"}
    )
    try:
        context = _ssl_context() if url.startswith("https:") else None
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read() if exc.fp else b""
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise TransportError(str(getattr(exc, "reason", exc))) from exc


def send(message, payload: bytes) -> tuple[int, bytes]:
    if message.peer_id is None:
        from . import services

        receipt = services.receive(payload, via="local")
        return receipt.http_status, receipt.xml
    return post(message.peer.url, payload, settings.VANBAN["EXCHANGE_HTTP_TIMEOUT_SECONDS"])
