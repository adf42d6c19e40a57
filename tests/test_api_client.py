from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from mrtimer import __version__
from mrtimer.api import (
    AmbiguousError,
    ApiClient,
    AuthError,
    BadRequestError,
    ConflictError,
    ConnectError,
    DecodeError,
    HttpStatusError,
    InsecureUrlError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    validate_base_url,
)
from mrtimer.sandbox import Fault, SandboxServer

KEY = "k-123"


def client_for(server: SandboxServer, **kw: object) -> ApiClient:
    return ApiClient(server.base_url, lambda: KEY, **kw)  # type: ignore[arg-type]


def test_endpoints_round_trip(sandbox: SandboxServer) -> None:
    c = client_for(sandbox)
    assert c.list_week() == []
    t = c.play(task_id="task-1", description="Write tests")
    assert t.running and t.task_id == "task-1" and t.description == "Write tests"
    with pytest.raises(ConflictError) as conflict:
        c.play(description="second")
    assert conflict.value.message == "Active timer already exists"
    stopped = c.stop(t.id)
    assert stopped.end is not None and stopped.duration is not None
    with pytest.raises(ConflictError):  # stopping a stopped timer is a 4xx
        c.stop(t.id)
    child = c.play(parent_id=t.id)
    assert child.description == "Write tests"  # resumed from the parent
    week = c.list_week(date.today())
    assert [w.id for w in week] == [t.id]
    assert [ch.id for ch in week[0].children] == [child.id]
    c.stop(child.id)
    c.delete(t.id)
    assert c.list_week() == []
    with pytest.raises(NotFoundError) as nf:
        c.delete(t.id)
    assert nf.value.message == "Timer not found"


def test_week_semantics(clocked_sandbox: SandboxServer, clock) -> None:  # type: ignore[no-untyped-def]
    c = client_for(clocked_sandbox)
    # Sunday 2026-11-29 23:00 UTC belongs to the week of Monday 2026-11-23.
    clock._now = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    sunday = c.play(description="late sunday")
    clock.advance(7200)  # Monday 01:00
    c.stop(sunday.id)
    monday = c.play(description="monday")
    assert [t.id for t in c.list_week(date(2026, 11, 23))] == [sunday.id]
    assert [t.id for t in c.list_week(date(2026, 11, 29))] == [sunday.id]
    assert [t.id for t in c.list_week(date(2026, 11, 30))] == [monday.id]
    assert [t.id for t in c.list_week(date(2026, 12, 6))] == [monday.id]
    assert [t.id for t in c.list_week()] == [monday.id]  # default: this week


def test_auth_header_and_user_agent(sandbox: SandboxServer) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": []})

    c = ApiClient("https://api.example.test/v1/dev", lambda: "sekret",
                  transport=httpx.MockTransport(handler))
    c.list_week(date(2026, 12, 3))
    assert seen[0].headers["authorization"] == "Bearer sekret"
    assert seen[0].headers["user-agent"].startswith(f"mrtimer/{__version__} (")
    assert seen[0].url.params["date"] == "2026-12-03"
    # The same client never sends the key to another origin.
    c._http.get("https://elsewhere.example.test/v1/dev/timer")
    c._http.get("http://api.example.test/v1/dev/timer")  # other scheme
    c._http.get("https://api.example.test:8443/v1/dev/timer")  # other port
    assert all("authorization" not in r.headers for r in seen[1:])


def test_no_key_means_no_header_and_401(sandbox: SandboxServer) -> None:
    c = ApiClient(sandbox.base_url, lambda: None)
    with pytest.raises(AuthError) as err:
        c.list_week()
    assert err.value.status == 401 and err.value.message == "Invalid or missing API key"


def test_ids_are_one_path_segment(sandbox: SandboxServer) -> None:
    c = client_for(sandbox)
    for evil in ("../play", "..", "a/b", "x?date=1", "x#y", "é t"):
        with pytest.raises(NotFoundError):
            c.stop(evil)
    paths = [p for m, p in sandbox.requests if m == "POST"]
    assert paths[0] == "/v1/dev/timer/..%2Fplay/stop"
    assert paths[1] == "/v1/dev/timer/%2E%2E/stop"
    assert paths[2] == "/v1/dev/timer/a%2Fb/stop"
    assert paths[3] == "/v1/dev/timer/x%3Fdate%3D1/stop"
    assert paths[4] == "/v1/dev/timer/x%23y/stop"
    with pytest.raises(ValueError):
        c.delete("")


def test_https_required_unless_loopback() -> None:
    for ok in ("https://api.meetandrock.com/v1/dev", "http://127.0.0.1:8765/v1/dev",
               "http://localhost:1/x", "http://[::1]:80/"):
        validate_base_url(ok)
    for bad in ("http://api.meetandrock.com/v1/dev", "http://10.0.0.1/", "ftp://x/",
                "not a url", "https://user:pw@host/", "https://host/?q=1"):
        with pytest.raises(InsecureUrlError):
            validate_base_url(bad)
    with pytest.raises(InsecureUrlError):
        ApiClient("http://example.com/v1", lambda: "k")


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        (Fault("status", status=400, body=b'{"message": "Invalid request parameters"}'),
         BadRequestError, "Invalid request parameters"),
        (Fault("status", status=500, body=b'{"message": "boom"}'), ServerError, "boom"),
        (Fault("status", status=502, body=b"<html><head><title>502 Bad Gateway</title>"
               b"</head><body>nginx</body></html>"), ServerError,
         "HTML error page: 502 Bad Gateway"),
        (Fault("status", status=503, body=b""), ServerError, "Service Unavailable"),
        (Fault("status", status=418, body=b"teapot"), BadRequestError, "I'm a Teapot"),
    ],
)
def test_status_errors_keep_message(sandbox: SandboxServer, fault: Fault,
                                    error: type[HttpStatusError], message: str) -> None:
    sandbox.faults.add(fault)
    with pytest.raises(error) as exc:
        client_for(sandbox).list_week()
    assert exc.value.message.lower() == message.lower()
    assert "list timers" in str(exc.value)


def test_rate_limited_keeps_retry_after(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault("status", status=429, body=b'{"message": "slow down"}',
                             headers={"Retry-After": "42"}))
    with pytest.raises(RateLimitedError) as exc:
        client_for(sandbox).list_week()
    assert exc.value.retry_after == 42.0 and exc.value.message == "slow down"
    future = (datetime.now(UTC) + timedelta(seconds=120)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    sandbox.faults.add(Fault("status", status=429, headers={"Retry-After": future}))
    with pytest.raises(RateLimitedError) as exc2:
        client_for(sandbox).list_week()
    assert exc2.value.retry_after is not None and 100 < exc2.value.retry_after <= 121


@pytest.mark.parametrize("body", [b"", b"not json", b'{"data": [{"id": 1}]}', b"[1, 2]",
                                  b'{"data": "x"}'])
def test_undecodable_success_bodies(sandbox: SandboxServer, body: bytes) -> None:
    sandbox.faults.add(Fault("body", path_contains="/timer", body=body))
    with pytest.raises(DecodeError) as exc:
        client_for(sandbox).list_week()
    assert "list timers" in str(exc.value)


def test_play_decode_error_names_endpoint(sandbox: SandboxServer) -> None:
    sandbox.faults.add(Fault("body", method="POST", body=b'{"data": {"nope": 1}}'))
    with pytest.raises(DecodeError) as exc:
        client_for(sandbox).play(description="x")
    assert "start timer" in str(exc.value)


def test_delete_accepts_any_2xx(sandbox: SandboxServer) -> None:
    c = client_for(sandbox)
    t = c.play(description="x")
    c.stop(t.id)
    sandbox.faults.add(Fault("body", method="DELETE", body=b"<html>ok</html>"))
    c.delete(t.id)  # 201 with a non-JSON body
    assert c.list_week() == []


def test_connection_refused_is_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = ApiClient(f"http://127.0.0.1:{port}/v1/dev", lambda: KEY, connect_timeout=1)
    with pytest.raises(ConnectError) as exc:
        c.list_week()
    assert KEY not in str(exc.value)


def test_read_timeout_and_drop_are_ambiguous(sandbox: SandboxServer) -> None:
    c = client_for(sandbox, read_timeout=0.3)
    sandbox.faults.add(Fault("delay", seconds=5))
    with pytest.raises(AmbiguousError):
        c.list_week()
    sandbox.delay_gate.set()
    sandbox.faults.add(Fault("drop_after_commit", method="POST"))
    with pytest.raises(AmbiguousError):
        c.play(description="dropped")
    # ... and the server did commit it.
    sandbox.delay_gate.clear()
    assert [t.description for t in client_for(sandbox).list_week()] == ["dropped"]


def test_clock_offset_from_date_header() -> None:
    server_time = datetime.now(UTC) + timedelta(hours=1)
    with SandboxServer(port=0, clock=lambda: server_time) as server:
        c = client_for(server)
        c.list_week()
        assert abs(c.clock_offset.estimate().total_seconds() - 3600) < 3
    behind = datetime.now(UTC) - timedelta(minutes=10)
    with SandboxServer(port=0, clock=lambda: behind) as server:
        c = client_for(server)
        c.list_week()
        assert abs(c.clock_offset.estimate().total_seconds() + 600) < 3
    with SandboxServer(port=0) as server:
        c = client_for(server)
        c.list_week()
        assert c.clock_offset.estimate() == timedelta(0)


@pytest.mark.parametrize("url", [
    "https://api.meetandrock.com/v1/dev", "https://h:443/x", "HTTPS://API.Example.COM:8443/v1/",
    "http://[::1]:80/", "http://[::1]:8080/v1", "https://bücher.example/v1",
    "http://127.0.0.1:8765/v1/dev/", "http://localhost/", " https://h/v1 "])
def test_base_url_parts_match_httpx(url: str) -> None:
    """The stdlib parse (used before httpx is loaded) names the same origin as httpx:
    queued actions are filed under it."""
    from mrtimer.api._url import validate_base_url as light

    got, want = light(url), httpx.URL(url.strip())
    assert (got.scheme, got.host, got.port, got.path) == (want.scheme, want.host, want.port,
                                                          want.path)


@pytest.mark.parametrize("url", ["https://h:99999/", "https://ex ample.com/", "https://h/\tx",
                                 "https:///v1", "https://:443/", "https://h/v1?", "https://h/#"])
def test_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(InsecureUrlError):
        validate_base_url(url)


def test_the_tray_and_cli_start_without_httpx() -> None:
    """httpx (and its transport) load with the first request, not before the icon."""
    import os
    import subprocess
    import sys

    code = ("import sys, mrtimer.cli, mrtimer.tray.main, mrtimer.core as c; "
            "a = c.App.load(base_url='https://api.example.test/v1'); a.tracker; "
            "print(sorted(m for m in ('httpx', 'httpcore', 'h11') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "MRTIMER_API_KEY": "k"})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
