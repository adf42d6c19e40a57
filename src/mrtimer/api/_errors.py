"""The API client's errors, all mapped in :func:`error_for_response` and the client's
transport wrapper.

    ApiError
    ├── TransportError            the request may not have reached the server
    │   ├── ConnectError          certainly not sent (DNS, refused, TLS handshake)
    │   └── AmbiguousError        may have been processed (read timeout, reset after send)
    ├── DecodeError               a 2xx body we could not understand
    └── HttpStatusError           any non-2xx answer; keeps the server's ``message``
        ├── BadRequestError       400 (and other unexpected 4xx)
        ├── AuthError             401 / 403
        ├── NotFoundError         404
        ├── ConflictError         409
        ├── RateLimitedError      429 (``retry_after`` in seconds, or None)
        └── ServerError           5xx, including HTML error pages from proxies
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AmbiguousError",
    "ApiError",
    "AuthError",
    "BadRequestError",
    "ConflictError",
    "ConnectError",
    "DecodeError",
    "HttpStatusError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "error_for_response",
]

_MAX_MESSAGE = 200


class ApiError(Exception):
    """Base of every error the API client raises."""


class TransportError(ApiError):
    """The exchange failed below HTTP."""


class ConnectError(TransportError):
    """The request was certainly not processed: it never reached the server."""


class AmbiguousError(TransportError):
    """The request may or may not have been processed by the server."""


class DecodeError(ApiError):
    """A successful response whose body could not be decoded."""

    def __init__(self, endpoint: str, detail: str) -> None:
        super().__init__(f"{endpoint}: unexpected response body ({detail})")
        self.endpoint = endpoint


class HttpStatusError(ApiError):
    def __init__(self, status: int, message: str, endpoint: str) -> None:
        super().__init__(f"{endpoint}: HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.endpoint = endpoint


class BadRequestError(HttpStatusError):
    pass


class AuthError(HttpStatusError):
    pass


class NotFoundError(HttpStatusError):
    pass


class ConflictError(HttpStatusError):
    pass


class RateLimitedError(HttpStatusError):
    def __init__(
        self, status: int, message: str, endpoint: str, retry_after: float | None
    ) -> None:
        super().__init__(status, message, endpoint)
        self.retry_after = retry_after


class ServerError(HttpStatusError):
    pass


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[:_MAX_MESSAGE]


def _message(response: httpx.Response) -> str:
    """The server's ``message``, or a short description of whatever came back."""
    body = response.content
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            msg = data.get("message") or data.get("error")
            if isinstance(msg, str) and msg.strip():
                return _clean(msg)
        ctype = response.headers.get("content-type", "")
        if "html" in ctype or body.lstrip()[:1] == b"<":
            title = re.search(rb"<title[^>]*>(.*?)</title>", body, re.I | re.S)
            if title:
                return _clean("HTML error page: " + title.group(1).decode("utf-8", "replace"))
            return "HTML error page"
    return response.reason_phrase or "no message"


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime  # not at start: ~10 ms to import

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now_epoch)


def error_for_response(response: httpx.Response, endpoint: str, now_epoch: float) -> ApiError:
    """Map a non-2xx response to the error hierarchy: the one place where it happens."""
    status = response.status_code
    msg = _message(response)
    if status == 401 or status == 403:
        return AuthError(status, msg, endpoint)
    if status == 404:
        return NotFoundError(status, msg, endpoint)
    if status == 409:
        return ConflictError(status, msg, endpoint)
    if status == 429:
        retry = parse_retry_after(response.headers.get("retry-after"), now_epoch)
        return RateLimitedError(status, msg, endpoint, retry)
    if status >= 500:
        return ServerError(status, msg, endpoint)
    return BadRequestError(status, msg, endpoint)
