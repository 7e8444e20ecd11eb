"""Server-side fetch for ``GET /h/hash?url=``: off by default because it lets callers make
the server request arbitrary addresses (SSRF). When enabled: http(s) only, listed hosts only,
no private or loopback addresses, at most ``MAX_REDIRECTS`` redirects each re-checked
against the same rules (file hosts such as GitHub's ``?raw=true`` links redirect), bounded
size and time."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import httpx

from rempart.api.problems import ProblemError
from rempart.config import MediaLimits, Settings

MAX_REDIRECTS = 5


def _check_host(host: str, settings: Settings) -> None:
    if host.lower() not in {h.lower() for h in settings.hash_url_allowed_hosts}:
        raise ProblemError(
            403, f"host {host!r} is not in REMPART_HASH_URL_ALLOWED_HOSTS", "host_not_allowed"
        )
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise ProblemError(422, f"cannot resolve {host!r}", "unresolvable") from exc
    if settings.hash_url_allow_private:
        return
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved:
            raise ProblemError(403, f"{host!r} resolves to a private address", "private_address")


def fetch_url(url: str, settings: Settings, limits: MediaLimits) -> bytes:
    """Download ``url`` within the limits, or raise a problem explaining why not."""
    if not settings.allow_hash_url:
        raise ProblemError(
            403,
            "hashing by URL is disabled; set REMPART_ALLOW_HASH_URL=true and list hosts "
            "in REMPART_HASH_URL_ALLOWED_HOSTS",
            "hash_url_disabled",
        )
    for _ in range(MAX_REDIRECTS + 1):
        _check_url(url, settings)
        location = _fetch_once(url, limits)
        if isinstance(location, bytes):
            return location
        url = urljoin(url, location)
    raise ProblemError(422, f"the URL redirected more than {MAX_REDIRECTS} times", "fetch_failed")


def _check_url(url: str, settings: Settings) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProblemError(422, "url must be an http(s) URL with a host", "bad_url")
    _check_host(parts.hostname, settings)


def _fetch_once(url: str, limits: MediaLimits) -> bytes | str:
    """The body of ``url``, or the ``Location`` it redirects to (checked by the caller)."""
    try:
        with httpx.stream("GET", url, timeout=10.0, follow_redirects=False) as resp:
            if resp.is_redirect and resp.headers.get("location"):
                return resp.headers["location"]
            if resp.status_code != 200:
                raise ProblemError(
                    422, f"fetching the URL gave HTTP {resp.status_code}", "fetch_failed"
                )
            data = bytearray()
            for chunk in resp.iter_bytes():
                data += chunk
                if len(data) > limits.max_bytes:
                    raise ProblemError(
                        413, "the file at the URL is over the size limit", "too_large"
                    )
            return bytes(data)
    except httpx.HTTPError as exc:
        raise ProblemError(
            422, f"could not fetch the URL: {exc.__class__.__name__}", "fetch_failed"
        ) from exc
