"""The API's base URL: parsed and checked with the standard library alone.

The tray checks its settings before the icon shows; httpx (and its ~50 ms import) is
loaded later, by the worker's first request.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["BaseUrl", "InsecureUrlError", "validate_base_url"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f]")  # whitespace and control characters


class InsecureUrlError(ValueError):
    """A base URL that would send the key in clear text or is not a URL at all."""


class BaseUrl(NamedTuple):
    """A checked base URL. ``host`` is lower case (IPv6 without brackets); ``port`` is
    None for the scheme's default, as in ``httpx.URL``."""

    scheme: str
    host: str
    port: int | None
    path: str
    text: str  # as given, stripped


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> BaseUrl:
    """Parse ``url``; ``https`` is required unless the host is loopback."""
    if not isinstance(url, str):
        raise InsecureUrlError(f"invalid base URL {url!r}")
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InsecureUrlError(f"invalid base URL {url!r}") from exc
    if _BAD_CHARS.search(text):
        raise InsecureUrlError(f"invalid base URL {url!r}")
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise InsecureUrlError(f"invalid base URL {url!r}: http(s)://host/... expected")
    if parts.scheme == "http" and not _is_loopback(host):
        raise InsecureUrlError(
            f"refusing plain http:// to {host}: use https (http is allowed only on loopback)"
        )
    if parts.username is not None or parts.password is not None or parts.query \
            or parts.fragment or "?" in text or "#" in text:
        raise InsecureUrlError("base URL must not carry credentials, a query or a fragment")
    if port == _DEFAULT_PORTS[parts.scheme]:
        port = None
    return BaseUrl(parts.scheme, host, port, parts.path, text)
