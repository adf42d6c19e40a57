"""The HTTP client for the Meet and Rock Timer Management API."""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mrtimer import __version__

from ._errors import (
    AmbiguousError,
    ConnectError,
    DecodeError,
    error_for_response,
)
from ._models import ModelError, Timer, decode_timer, decode_timer_list, unwrap
from ._url import BaseUrl, validate_base_url

if TYPE_CHECKING:
    import ssl

    import httpx

log = logging.getLogger("mrtimer.api")

__all__ = ["DEFAULT_BASE_URL", "USER_AGENT", "ApiClient", "ClockOffset"]

DEFAULT_BASE_URL = "https://api.meetandrock.com/v1/dev"
USER_AGENT = (
    f"mrtimer/{__version__} ({platform.system() or 'unknown'}; "
    f"Python {platform.python_version()})"
)


def _origin(url: httpx.URL | BaseUrl) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


class _BearerForOrigin:
    """Attaches the key only to requests for the configured base URL's origin (an
    httpx auth callable)."""

    def __init__(self, key_source: Callable[[], str | None], base: BaseUrl) -> None:
        self._key_source = key_source
        self._origin = _origin(base)

    def __call__(self, request: httpx.Request) -> httpx.Request:
        if _origin(request.url) == self._origin:
            key = self._key_source()
            if key:
                request.headers["Authorization"] = f"Bearer {key}"
        return request


class ClockOffset:
    """Server clock minus local clock, estimated from ``Date`` headers (1 s resolution).

    Keeps the median of the last few samples so one slow response doesn't swing it.
    """

    def __init__(self) -> None:
        self._samples: list[float] = []
        self._lock = threading.Lock()

    def add(self, server: datetime, local_sent: float, local_received: float) -> None:
        midpoint = (local_sent + local_received) / 2
        # Date has whole seconds: the true server time lies in [server, server + 1).
        sample = server.timestamp() + 0.5 - midpoint
        with self._lock:
            self._samples = (self._samples + [sample])[-7:]

    @property
    def seconds(self) -> float:
        with self._lock:
            if not self._samples:
                return 0.0
            ordered = sorted(self._samples)
            return ordered[len(ordered) // 2]

    def estimate(self) -> timedelta:
        value = self.seconds
        # Below the header's resolution there's nothing to correct.
        return timedelta(seconds=value) if abs(value) >= 2 else timedelta(0)


class ApiClient:
    """A synchronous client over one reused :class:`httpx.Client`.

    ``key_source`` is called for each request so a key change (sign-in) needs no new
    client, and the key is never stored on this object.
    """

    def __init__(
        self,
        base_url: str,
        key_source: Callable[[], str | None],
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._base = validate_base_url(base_url)
        self._base_path = self._base.path.rstrip("/")
        self._wall = wall_clock
        self._key_source = key_source
        self.clock_offset = ClockOffset()
        self._timeouts = (read_timeout, connect_timeout)
        self._transport = transport
        # httpx is imported, and its Client built (the transport imports httpcore, and
        # trio/anyio when installed; the SSL context) on first use: on the worker
        # thread, after the tray icon is shown. The CAs trusted: see _tls.
        self._base_url: httpx.URL | None = None
        self._http_client: httpx.Client | None = None
        self._http_lock = threading.Lock()

    @property
    def base_url(self) -> httpx.URL:
        url = self._base_url
        if url is None:
            import httpx

            url = self._base_url = httpx.URL(self._base.text)
        return url

    @property
    def _http(self) -> httpx.Client:
        client = self._http_client
        if client is None:
            with self._http_lock:
                if self._http_client is None:
                    import httpx

                    read_timeout, connect_timeout = self._timeouts
                    verify: ssl.SSLContext | bool = True  # unused with a given transport
                    if self._transport is None:
                        verify = _verifying_context()
                    self._http_client = httpx.Client(
                        auth=_BearerForOrigin(self._key_source, self._base),
                        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
                        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                        transport=self._transport,
                        verify=verify,
                        follow_redirects=False,
                        trust_env=False,
                    )
                client = self._http_client
        return client

    def key_fingerprint(self) -> str | None:
        """A salted hash naming this account on this server (for cache folders), or
        None without a key. The key itself never leaves the auth hook."""
        key = self._key_source()
        if not key:
            return None
        digest = hashlib.sha256(f"mrtimer\0{self.base_url}\0{key}".encode())
        return digest.hexdigest()[:24]

    def close(self) -> None:
        with self._http_lock:
            if self._http_client is not None:
                self._http_client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- endpoints ---------------------------------------------------------------

    def list_week(self, day: date | None = None) -> list[Timer]:
        params = {"date": day.isoformat()} if day is not None else None
        body = self._request("GET", "/timer", "list timers", params=params)
        try:
            return decode_timer_list(body)
        except ModelError as exc:
            raise DecodeError("list timers", str(exc)) from exc

    def play(
        self,
        task_id: str | None = None,
        description: str | None = None,
        parent_id: str | None = None,
    ) -> Timer:
        payload: dict[str, str] = {}
        if task_id:
            payload["task_id"] = task_id
        if description:
            payload["description"] = description
        if parent_id:
            payload["parent_id"] = parent_id
        body = self._request("POST", "/timer/play", "start timer", json_body=payload)
        return self._decode_one(body, "start timer")

    def stop(self, timer_id: str) -> Timer:
        body = self._request("POST", f"/timer/{self._segment(timer_id)}/stop", "stop timer")
        return self._decode_one(body, "stop timer")

    def delete(self, timer_id: str) -> None:
        self._request("DELETE", f"/timer/{self._segment(timer_id)}", "delete timer",
                      allow_empty=True)

    # -- plumbing ----------------------------------------------------------------

    @staticmethod
    def _segment(timer_id: str) -> str:
        if not timer_id or not timer_id.strip():
            raise ValueError("timer id must not be empty")
        # One path segment: '/', '.', '..', '?' and '#' can't change the path.
        seg = quote(timer_id, safe="")
        if seg in (".", ".."):
            seg = seg.replace(".", "%2E")
        return seg

    @staticmethod
    def _decode_one(body: object, endpoint: str) -> Timer:
        try:
            return decode_timer(unwrap(body))
        except ModelError as exc:
            raise DecodeError(endpoint, str(exc)) from exc

    def _request(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        allow_empty: bool = False,
    ) -> object:
        import httpx  # loaded by the first request (see __init__)

        url = self.base_url.copy_with(raw_path=(self._base_path + path).encode("ascii"))
        if params:
            url = url.copy_merge_params(params)
        sent = self._wall()
        try:
            response = self._http.request(method, url, json=json_body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ConnectError(f"{endpoint}: cannot reach {self._base.host}: {_why(exc)}") \
                from exc
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise AmbiguousError(
                f"{endpoint}: connection to {self._base.host} failed after sending: {_why(exc)}"
            ) from exc
        except httpx.HTTPError as exc:
            raise ConnectError(f"{endpoint}: {_why(exc)}") from exc
        received = self._wall()
        self._note_date(response, sent, received)
        if not response.is_success:
            raise error_for_response(response, endpoint, received)
        if not response.content.strip():
            if allow_empty:
                return None
            raise DecodeError(endpoint, f"empty body with HTTP {response.status_code}")
        try:
            return json.loads(response.content)
        except ValueError as exc:
            if allow_empty:
                return None
            raise DecodeError(endpoint, "not JSON") from exc

    def _note_date(self, response: httpx.Response, sent: float, received: float) -> None:
        value = response.headers.get("date")
        if not value:
            return
        try:
            from email.utils import parsedate_to_datetime  # ~10 ms: not at start

            server = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
        self.clock_offset.add(server, sent, received)


def _verifying_context() -> ssl.SSLContext:
    import ssl

    from ._tls import ssl_context, trust_source

    source = trust_source()
    try:
        ctx = ssl_context(source)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError(f"cannot load the trusted CAs from {source.describe()}: "
                           f"{exc.__class__.__name__}: {exc}") from exc
    log.debug("TLS trusts %s", source.describe())
    return ctx


def _why(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]


