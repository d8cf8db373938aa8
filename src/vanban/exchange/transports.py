"""Moving signed messages: the local transport (same database: the receiver's service is called
directly) and HTTPS POST to a peer's inbox. Both return (HTTP status, body).

HTTP connections are kept alive per thread and peer, and the TLS context is built once: a TLS
handshake costs both sides several times what handling a package does."""

from __future__ import annotations

import functools
import http.client
import ssl
import threading
from urllib.parse import urlsplit

from django.conf import settings

CONTENT_TYPE = "application/xml; charset=utf-8"
_local = threading.local()


class TransportError(Exception):
    """The message did not get an answer (connection refused, timeout, TLS failure…): retry."""


@functools.cache
def _ssl_context(cafile: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()


def _connection(scheme: str, host: str, port: int | None, timeout: float) -> http.client.HTTPConnection:
    pool = getattr(_local, "connections", None)
    if pool is None:
        pool = _local.connections = {}
    key = (scheme, host, port)
    conn = pool.get(key)
    if conn is None:
        if scheme == "https":
            context = _ssl_context(settings.VANBAN.get("EXCHANGE_TLS_CA_FILE"))
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        pool[key] = conn
    return conn


def _drop(scheme: str, host: str, port: int | None) -> None:
    conn = getattr(_local, "connections", {}).pop((scheme, host, port), None)
    if conn is not None:
        conn.close()


def post(url: str, payload: bytes, timeout: float) -> tuple[int, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"not an http(s) URL: {url}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = {"Content-Type": CONTENT_TYPE, "User-Agent": "vanban", "Connection": "keep-alive"}
    # A kept-alive connection the server has closed in the meantime fails at once: try a fresh one.
    # Resending is safe: the receiver deduplicates packages.
    for attempt in (1, 2):
        conn = _connection(parts.scheme, parts.hostname, parts.port, timeout)
        try:
            conn.request("POST", path, body=payload, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.getheader("Connection", "").lower() == "close":
                _drop(parts.scheme, parts.hostname, parts.port)
            return response.status, body
        except (
            http.client.RemoteDisconnected,
            ConnectionResetError,
            BrokenPipeError,
            http.client.CannotSendRequest,
        ) as exc:
            _drop(parts.scheme, parts.hostname, parts.port)
            if attempt == 2:
                raise TransportError(str(exc) or type(exc).__name__) from exc
        except (OSError, http.client.HTTPException) as exc:
            _drop(parts.scheme, parts.hostname, parts.port)
            raise TransportError(str(exc) or type(exc).__name__) from exc
    raise TransportError("unreachable")  # pragma: no cover


def send(message, payload: bytes) -> tuple[int, bytes]:
    if message.peer_id is None:
        from . import services

        receipt = services.receive(payload, via="local")
        return receipt.http_status, receipt.xml
    return post(message.peer.url, payload, settings.VANBAN["EXCHANGE_HTTP_TIMEOUT_SECONDS"])
