"""A pyhanko_certvalidator fetcher backend that answers this installation's own revocation URLs in
process and sends every other URL to pyhanko_certvalidator's default (aiohttp) backend.

Our demo certificates point to `<public URL>/pki/ocsp/` and `<public URL>/pki/crl/<slug>.crl`.
Fetching them over HTTP would be a round trip to ourselves (and, from a single-worker server, a
request that waits for itself), so `InProcessFetcherBackend` answers them with the functions the
views use: `ocsp_reply(request DER)` and `crl_der(slug)` (each returning DER, or None).

pyhanko runs the fetchers inside its own event loop (`asyncio.run` from synchronous code: signing,
`verify.py`). Django refuses database access while a loop runs on the thread, so the in-process
answers are computed with the loop detached from the thread for the duration of the synchronous
call (`_outside_loop`): the call blocks the loop anyway, and it uses the caller's thread, hence
its database connection and transaction. Use this backend only with such private loops, never
from inside a server's event loop (an ASGI view): there the call would block every request.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable

from asn1crypto import cms, crl, ocsp, x509
from pyhanko_certvalidator import errors
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.api import CRLFetcher, FetcherBackend, Fetchers, OCSPFetcher
from pyhanko_certvalidator.fetchers.common_utils import (
    enumerate_delivery_point_urls,
    format_ocsp_request,
    process_ocsp_response_data,
)
from pyhanko_certvalidator.util import get_ocsp_urls, get_relevant_crl_dps, issuer_serial

logger = logging.getLogger(__name__)

OcspReply = Callable[[bytes], "bytes | None"]
CrlDer = Callable[[str], "bytes | None"]

_CRL_PATH = re.compile(r"^/pki/crl/(?P<slug>[A-Za-z0-9_-]+)\.crl$")
_OCSP_PATH = "/pki/ocsp/"


# OCSP answers of ours, per process, shared by every context made from the same revocation data:
# `snapshot` (the caller's current CRLs, say) changes whenever that data may have, which empties it.
_answers: dict[bytes, bytes | None] = {}
_answers_of: list = [None]


def _cached_reply(snapshot, ocsp_reply: OcspReply, request_der: bytes, key: bytes) -> bytes | None:
    if snapshot is None:
        return _outside_loop(ocsp_reply, request_der)
    if _answers_of[0] != snapshot:
        _answers.clear()
        _answers_of[0] = snapshot
    if key not in _answers:
        if len(_answers) > 4096:
            _answers.clear()
        _answers[key] = _outside_loop(ocsp_reply, request_der)
    return _answers[key]


def _outside_loop(fn, *args):
    """`fn(*args)`, synchronous, with the running event loop detached from this thread (see the
    module docstring: Django's guard against database access inside a loop)."""
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        return fn(*args)
    finally:
        asyncio._set_running_loop(loop)


class InProcessFetcherBackend(FetcherBackend):
    """Fetchers answering URLs under `base_url` in process (`ocsp_reply`, `crl_der`), the rest
    through `fallback` (by default a new `AIOHttpFetcherBackend`, closed with this backend).
    `snapshot`, when given, lets OCSP answers be reused by every backend given an equal one: pass
    something that changes whenever a certificate's status may have (e.g. the current CRLs)."""

    def __init__(
        self,
        base_url: str,
        *,
        ocsp_reply: OcspReply,
        crl_der: CrlDer,
        fallback: FetcherBackend | None = None,
        snapshot=None,
    ):
        self.snapshot = snapshot
        self.base_url = base_url.rstrip("/")
        self.ocsp_reply = ocsp_reply
        self.crl_der = crl_der
        self._owns_fallback = fallback is None
        self.fallback = fallback or AIOHttpFetcherBackend()
        self.answered: list[str] = []  # URLs answered in process, in order (for tests and logs)

    def local_path(self, url: str) -> str | None:
        """The path of `url` when it is under our public URL, else None."""
        if url == self.base_url or url.startswith(self.base_url + "/"):
            return url[len(self.base_url) :] or "/"
        return None

    def get_fetchers(self) -> Fetchers:
        other = self.fallback.get_fetchers()
        return Fetchers(
            ocsp_fetcher=_OCSPFetcher(self, other.ocsp_fetcher),
            crl_fetcher=_CRLFetcher(self, other.crl_fetcher),
            cert_fetcher=other.cert_fetcher,  # our certificates name no caIssuers URL
        )

    async def close(self):
        if self._owns_fallback:
            await self.fallback.close()


class _OCSPFetcher(OCSPFetcher):
    def __init__(self, backend: InProcessFetcherBackend, other: OCSPFetcher):
        self.backend = backend
        self.other = other
        self._local: dict[tuple, ocsp.OCSPResponse | Exception] = {}

    async def fetch(self, cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority):
        urls = get_ocsp_urls(cert)
        if not any(self.backend.local_path(u) == _OCSP_PATH for u in urls):
            return await self.other.fetch(cert, authority)
        tag = (issuer_serial(cert), authority.hashable)
        result = self._local.get(tag)
        if result is None:
            result = self._local[tag] = self._answer(cert, authority)
        if isinstance(result, Exception):
            raise result
        return result

    def _answer(self, cert, authority) -> ocsp.OCSPResponse | Exception:
        # No nonce: nothing travels, nothing can be replayed.
        request = format_ocsp_request(cert, authority, certid_hash_algo="sha1", request_nonces=False)
        url = self.backend.base_url + _OCSP_PATH
        try:
            key = request["tbs_request"]["request_list"][0]["req_cert"].dump()
            der = _cached_reply(self.backend.snapshot, self.backend.ocsp_reply, request.dump(), key)
            if der is None:
                return errors.OCSPFetchError("this installation runs no OCSP responder")
            self.backend.answered.append(url)
            return process_ocsp_response_data(der, ocsp_request=request, ocsp_url=url)
        except (errors.OCSPFetchError, errors.OCSPValidationError, ValueError) as exc:
            return errors.OCSPFetchError(f"in-process OCSP answer failed: {exc}")

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        mine = [r for r in self._local.values() if not isinstance(r, Exception)]
        return [*mine, *self.other.fetched_responses()]

    def fetched_responses_for_cert(self, cert) -> Iterable[ocsp.OCSPResponse]:
        target = issuer_serial(cert)
        mine = [r for (t, _), r in self._local.items() if t == target and not isinstance(r, Exception)]
        return [*mine, *self.other.fetched_responses_for_cert(cert)]


class _CRLFetcher(CRLFetcher):
    def __init__(self, backend: InProcessFetcherBackend, other: CRLFetcher):
        self.backend = backend
        self.other = other
        self._by_cert: dict[bytes, list[crl.CertificateList]] = {}
        self._by_slug: dict[str, crl.CertificateList | None] = {}

    def _slugs(self, cert, use_deltas) -> tuple[list[str], bool]:
        """Our CRL slugs among the certificate's distribution points, and whether it names others."""
        slugs, foreign = [], False
        for point in get_relevant_crl_dps(cert, use_deltas=use_deltas):
            for url in enumerate_delivery_point_urls(point):
                path = self.backend.local_path(url)
                match = _CRL_PATH.match(path) if path is not None else None
                if match:
                    slugs.append(match["slug"])
                else:
                    foreign = True
        return slugs, foreign

    async def fetch(self, cert, *, use_deltas=True):
        key = issuer_serial(cert)
        if key in self._by_cert:
            return self._by_cert[key]
        slugs, foreign = self._slugs(cert, use_deltas)
        if not slugs:
            return await self.other.fetch(cert, use_deltas=use_deltas)
        results = [c for slug in slugs if (c := self._crl(slug)) is not None]
        if foreign:
            try:
                results.extend(await self.other.fetch(cert, use_deltas=use_deltas))
            except errors.CRLFetchError:
                if not results:
                    raise
        if not results:
            raise errors.CRLFetchError(f"no CRL of ours answers {', '.join(slugs)}")
        self._by_cert[key] = results
        return results

    def _crl(self, slug: str) -> crl.CertificateList | None:
        if slug not in self._by_slug:
            der = _outside_loop(self.backend.crl_der, slug)
            self._by_slug[slug] = crl.CertificateList.load(der) if der is not None else None
            if der is not None:
                self.backend.answered.append(f"{self.backend.base_url}/pki/crl/{slug}.crl")
        return self._by_slug[slug]

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        mine = [c for c in self._by_slug.values() if c is not None]
        return [*mine, *self.other.fetched_crls()]

    def fetched_crls_for_cert(self, cert) -> Iterable[crl.CertificateList]:
        key = issuer_serial(cert)
        if key in self._by_cert:
            return self._by_cert[key]
        return self.other.fetched_crls_for_cert(cert)  # KeyError when never fetched
