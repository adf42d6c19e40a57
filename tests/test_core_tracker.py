"""The tracking core against the real sandbox over HTTP, with injected faults and clock."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import filelock
import pytest

from mrtimer.api import AmbiguousError, ApiClient, AuthError, Timer
from mrtimer.core import AuthStatus, Outbox, Tracker, TrackerState, Worker
from mrtimer.sandbox import Fault, SandboxServer

from conftest import wait_until
from fakeclock import FakeClock

KEY = "core-key"


class Rig:
    """A tracker wired to a sandbox; ``server_timers()`` reads the server's truth."""

    def __init__(self, base_url: str, clock: FakeClock, tmp: Path, read_timeout: float = 2.0):
        self.key: str | None = KEY
        self.clock = clock
        self.client = ApiClient(base_url, lambda: self.key, read_timeout=read_timeout,
                                connect_timeout=1, wall_clock=lambda: clock.now().timestamp())
        self.outbox = Outbox(tmp / "outbox.sqlite3", "test")
        self.tracker = Tracker(self.client, self.outbox, clock,
                               filelock.FileLock(str(tmp / "sync.lock")),
                               has_key=lambda: bool(self.key), rng=lambda: 0.0, tz=UTC)
        self.base_url = base_url

    def server_timers(self, day: date | None = None) -> list[Timer]:
        with ApiClient(self.base_url, lambda: KEY) as c:
            return c.list_week(day or self.clock.now().date())

    def all_server_timers(self) -> list[Timer]:
        out: list[Timer] = []
        for root in self.server_timers():
            out.extend(root.walk())
        return out

    def close(self) -> None:
        self.outbox.close()
        self.client.close()


@pytest.fixture
def rig(clocked_sandbox: SandboxServer, clock: FakeClock, tmp_path: Path) -> Iterator[Rig]:
    r = Rig(clocked_sandbox.base_url, clock, tmp_path)
    yield r
    r.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_start_is_optimistic_then_confirmed(rig: Rig) -> None:
    seen: list[TrackerState] = []
    rig.tracker.subscribe(seen.append)
    rig.tracker.start(description="Write tests")
    state = rig.tracker.state
    assert state.running is not None and state.running.pending and state.running.id is None
    assert state.running.label == "Write tests" and len(state.pending) == 1
    assert seen and seen[-1].running is not None  # observers saw it before any request
    assert rig.all_server_timers() == []
    outcome = rig.tracker.sync()
    assert outcome.ok and len(outcome.sent) == 1
    server = rig.all_server_timers()
    assert len(server) == 1 and server[0].running
    state = rig.tracker.state
    assert state.running is not None and state.running.id == server[0].id
    assert not state.running.pending and state.pending == ()


def test_stop_switch_delete(rig: Rig, clock: FakeClock) -> None:
    t = rig.tracker
    t.start(description="A")
    t.sync()
    clock.advance(600)
    t.start(description="B", switch=True)
    assert t.state.running is not None and t.state.running.label == "B"
    t.sync()
    roots = rig.server_timers()
    assert [(r.description, r.running) for r in roots] == [("A", False), ("B", True)]
    assert roots[0].duration == timedelta(minutes=10)
    clock.advance(300)
    assert t.stop() is not None
    assert t.state.running is None  # optimistic
    t.sync()
    assert not any(r.running for r in rig.all_server_timers())
    assert t.state.today_seconds(clock.now(), UTC) == 900
    t.delete(roots[0].id, "A")
    t.sync()
    assert [r.description for r in rig.server_timers()] == ["B"]
    assert t.state.today_seconds(clock.now(), UTC) == 300
    assert t.stop() is None  # nothing running: nothing queued


def test_resume_by_parent_and_toggle(rig: Rig, clock: FakeClock) -> None:
    t = rig.tracker
    t.start(task_id="task-1", description="Fix login bug")
    t.sync()
    clock.advance(60)
    t.toggle()  # stops
    t.sync()
    clock.advance(60)
    t.toggle()  # resumes the most recent task by parent_id
    t.sync()
    roots = rig.server_timers()
    assert len(roots) == 1 and len(roots[0].children) == 1
    assert roots[0].children[0].running
    assert t.state.running is not None and t.state.running.id == roots[0].children[0].id
    assert t.state.recent[0].label == "Fix login bug"


def test_offline_queue_is_sent_once_when_back(clock: FakeClock, tmp_path: Path) -> None:
    port = free_port()
    rig = Rig(f"http://127.0.0.1:{port}/v1/dev", clock, tmp_path)
    t = rig.tracker
    t.start(description="offline work")
    out = t.sync()
    assert out.error is not None and t.state.online is False
    clock.advance(30)
    t.stop()
    assert len(t.state.pending) == 2 and t.state.running is None
    with SandboxServer(port=port, clock=clock.now) as server:
        assert server.request_count() == 0
        out = t.sync(force=True)
        assert out.ok and len(out.sent) == 2
        roots = rig.server_timers()
        assert len(roots) == 1 and not roots[0].running
        assert t.state.pending == () and t.state.online is True
        t.sync(force=True)
        assert len(rig.server_timers()) == 1
    rig.close()


def test_backoff_is_exponential_with_jitter(clock: FakeClock, tmp_path: Path) -> None:
    rig = Rig(f"http://127.0.0.1:{free_port()}/v1/dev", clock, tmp_path)
    t = rig.tracker
    t.start(description="x")
    waits = []
    for _ in range(5):
        t.sync(force=True)
        waits.append(t.seconds_until_due())
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]  # rng=0: the low end of each jitter range
    # Without force, nothing is tried before the deadline.
    assert t.sync().error is None and t.seconds_until_due() == 8.0
    rig.close()


def test_rate_limit_honours_retry_after(rig: Rig, clocked_sandbox: SandboxServer,
                                        clock: FakeClock) -> None:
    clocked_sandbox.faults.add(Fault("status", method="POST", status=429,
                                     body=b'{"message": "Too many"}',
                                     headers={"Retry-After": "120"}))
    t = rig.tracker
    t.start(description="x")
    assert t.sync().error is not None
    assert t.seconds_until_due() == 120
    before = clocked_sandbox.request_count()
    t.sync()
    assert clocked_sandbox.request_count() == before  # waited
    clock.advance(121)
    assert t.sync().ok
    assert len(rig.all_server_timers()) == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault("drop_after_commit", method="POST", path_contains="play"),
        Fault("body", method="POST", path_contains="play", body=b"{\"data\": {\"id\""),
        Fault("body", method="POST", path_contains="play", body=b""),
        Fault("body", method="POST", path_contains="play", body=b"<html>Gateway</html>"),
    ],
    ids=["dropped-after-commit", "malformed", "empty", "html"],
)
def test_ambiguous_play_is_adopted_not_duplicated(rig: Rig, clocked_sandbox: SandboxServer,
                                                  fault: Fault) -> None:
    clocked_sandbox.faults.add(fault)
    t = rig.tracker
    action = t.start(description="only once")
    out = t.sync()
    assert out.error is not None
    assert len(rig.all_server_timers()) == 1  # the server did commit it
    assert rig.outbox.get(action.id).ambiguous  # type: ignore[union-attr]
    out = t.sync(force=True)
    assert out.ok and [a.id for a, _ in out.sent] == [action.id]
    server = rig.all_server_timers()
    assert len(server) == 1
    assert t.state.running is not None and t.state.running.id == server[0].id


def test_timed_out_play_is_reconciled(clocked_sandbox: SandboxServer, clock: FakeClock,
                                      tmp_path: Path) -> None:
    rig = Rig(clocked_sandbox.base_url, clock, tmp_path, read_timeout=0.3)
    clocked_sandbox.faults.add(Fault("delay", method="POST", seconds=30))
    t = rig.tracker
    t.start(description="slow")
    out = t.sync()
    assert isinstance(out.error, AmbiguousError)
    clocked_sandbox.delay_gate.set()  # the server now processes the request
    assert wait_until(lambda: len(rig.all_server_timers()) == 1)
    assert t.sync(force=True).ok
    assert len(rig.all_server_timers()) == 1
    rig.close()


def test_server_error_then_success(rig: Rig, clocked_sandbox: SandboxServer) -> None:
    clocked_sandbox.faults.add(Fault("status", method="POST", status=503, body=b""))
    t = rig.tracker
    t.start(description="x")
    assert t.sync().error is not None
    assert rig.all_server_timers() == []
    assert t.sync(force=True).ok
    assert len(rig.all_server_timers()) == 1


def test_401_mid_queue_keeps_actions(rig: Rig, clocked_sandbox: SandboxServer,
                                     clock: FakeClock) -> None:
    t = rig.tracker
    t.start(description="A")
    t.sync()
    rig.key = "revoked"
    clocked_sandbox.key = KEY  # only the real key is accepted now
    clock.advance(60)
    t.stop()
    t.start(description="B")
    out = t.sync()
    assert isinstance(out.error, AuthError)
    assert t.state.auth == AuthStatus.NEEDS_SIGN_IN and len(t.state.pending) == 2
    before = clocked_sandbox.request_count()
    t.sync()  # signed out: no polling
    assert clocked_sandbox.request_count() == before
    assert t.seconds_until_due() == 3600
    rig.key = KEY
    t.key_changed()
    out = t.sync()
    assert out.ok and len(out.sent) == 2
    roots = rig.server_timers()
    assert [(r.description, r.running) for r in roots] == [("A", False), ("B", True)]


def test_other_4xx_marks_failed_and_continues(rig: Rig, clocked_sandbox: SandboxServer) -> None:
    clocked_sandbox.faults.add(Fault("status", method="POST", status=400,
                                     body=b'{"message": "Invalid request parameters"}'))
    t = rig.tracker
    bad = t.start(description="rejected")
    t.start(description="accepted", switch=False)
    out = t.sync()
    assert [a.id for a, _ in out.failed] == [bad.id]
    assert t.state.failed[0].last_error == "Invalid request parameters"
    assert [r.description for r in rig.server_timers()] == ["accepted"]
    assert t.dismiss(bad.id) and t.state.failed == ()


def test_resume_missing_parent_fails_with_message(rig: Rig) -> None:
    t = rig.tracker
    t.start(parent_id="no-such-timer")
    out = t.sync()
    assert out.failed and "Timer not found" in out.failed[0][1]


def test_conflict_adopt_refuse_or_switch(rig: Rig, clock: FakeClock) -> None:
    other = ApiClient(rig.base_url, lambda: KEY)  # another device, same user
    x = other.play(description="X")
    t = rig.tracker
    refused = t.start(description="Y", switch=False)
    out = t.sync(refresh=False)
    assert out.failed and out.failed[0][0].id == refused.id
    assert "another timer is running: 'X'" in out.failed[0][1]
    adopted = t.start(description="X", switch=False)
    out = t.sync(refresh=False)
    assert [(a.id, tm.id if tm else None) for a, tm in out.sent] == [(adopted.id, x.id)]
    assert len(rig.all_server_timers()) == 1
    # The tracker's snapshot doesn't know X is still running when another device
    # started it: the 409 is resolved by stopping X, then starting Z.
    other.stop(x.id)
    y = other.play(description="W")
    t.start(description="Z", switch=True)
    out = t.sync(refresh=False)
    assert out.ok
    roots = {r.description: r for r in rig.server_timers()}
    assert not roots["W"].running and roots["Z"].running and y.id == roots["W"].id
    other.close()


def test_conflict_with_a_timer_from_last_week(clocked_sandbox: SandboxServer, clock: FakeClock,
                                              tmp_path: Path) -> None:
    clock._now = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)  # Sunday
    other = ApiClient(clocked_sandbox.base_url, lambda: KEY)
    old = other.play(description="weekend")
    clock.advance(4 * 3600)  # Monday 02:00: a new week
    rig = Rig(clocked_sandbox.base_url, clock, tmp_path)
    t = rig.tracker
    t.start(description="monday", switch=True)
    assert t.sync(refresh=False).ok
    assert not other.list_week(date(2026, 11, 29))[0].running
    assert other.list_week(date(2026, 11, 30))[0].running
    running = t.state.running
    assert running is not None and running.id is not None and old.id != running.id
    # The state finds a timer running since last week too.
    other.stop(running.id)
    clock.advance(60)
    other.play(parent_id=old.id)  # resumes into last week's root
    t.sync(force=True)
    # Listed under last week's root: this week's list no longer shows the timer we
    # saw running, so last week is read again and the resumed child is found there.
    t.sync(force=True)
    assert t.state.running is not None and t.state.running.label == "weekend"
    rig.close()
    other.close()


def test_stopping_a_stopped_or_missing_timer_counts_as_done(rig: Rig) -> None:
    other = ApiClient(rig.base_url, lambda: KEY)
    t = rig.tracker
    t.start(description="A")
    t.sync()
    timer_id = t.state.running.id if t.state.running else None
    assert timer_id is not None
    other.stop(timer_id)  # stopped elsewhere
    t.stop()
    out = t.sync(refresh=False)
    assert out.ok and not out.failed and t.state.running is None
    out_id = t.delete(timer_id)
    t.sync()
    gone = t.delete(timer_id)  # already deleted
    out = t.sync()
    assert out.ok and [a.id for a in out.gone] == [gone.id] and out_id.id != gone.id
    assert t.state.failed == ()
    other.close()


def test_interrupted_send_is_replayed_exactly_once(rig: Rig, clock: FakeClock,
                                                   tmp_path: Path) -> None:
    # A process queued a play, marked it 'sending', the server committed it, then the
    # process died before recording the answer.
    committed = rig.outbox.add("start", {"description": "committed", "switch": True},
                               clock.now().timestamp())
    rig.outbox.mark_sending(committed, clock.now().timestamp())
    ApiClient(rig.base_url, lambda: KEY).play(description="committed")
    # ... and another was queued but never reached the server.
    clock.advance(5)
    lost = rig.outbox.add("start", {"description": "never sent", "switch": True},
                          clock.now().timestamp())
    rig.outbox.mark_sending(lost, clock.now().timestamp())
    fresh = Tracker(rig.client, rig.outbox, clock, filelock.FileLock(str(tmp_path / "l")),
                    rng=lambda: 0.0, tz=UTC)  # the next process
    out = fresh.sync()
    assert out.ok and len(out.sent) == 2
    roots = rig.server_timers()
    assert [(r.description, r.running) for r in roots] == [("committed", False),
                                                           ("never sent", True)]


def test_late_actions_are_reported(clock: FakeClock, tmp_path: Path) -> None:
    port = free_port()
    rig = Rig(f"http://127.0.0.1:{port}/v1/dev", clock, tmp_path)
    t = rig.tracker
    t.start(description="on the train")
    t.sync()
    clock.advance(23 * 60)
    with SandboxServer(port=port, clock=clock.now):
        out = t.sync(force=True)
        assert out.ok
    late = rig.outbox.get(out.sent[0][0].id)
    assert late is not None and late.late_seconds == pytest.approx(23 * 60, abs=1)
    assert any("23 min later than asked" in n for n in t.state.notices)
    t.clear_notices()
    assert t.state.notices == ()
    rig.close()


@pytest.mark.parametrize("skew", [3600.0, -600.0])
def test_elapsed_uses_the_server_clock(tmp_path: Path, clock: FakeClock, skew: float) -> None:
    with SandboxServer(port=0, clock=lambda: clock.now() + timedelta(seconds=skew)) as server:
        rig = Rig(server.base_url, clock, tmp_path)
        t = rig.tracker
        t.start(description="skewed")
        t.sync()
        running = t.state.running
        assert running is not None and not running.pending
        assert abs(running.elapsed(t.server_now())) < 3
        assert abs(t.state.today_seconds(t.server_now(), UTC)) < 3
        rig.close()


def test_state_survives_restart_from_saved_snapshot(rig: Rig, clock: FakeClock,
                                                    tmp_path: Path) -> None:
    rig.tracker.start(description="persisted")
    rig.tracker.sync()
    again = Tracker(rig.client, rig.outbox, clock, filelock.FileLock(str(tmp_path / "l2")),
                    tz=UTC)
    assert again.state.running is not None and again.state.running.label == "persisted"
    assert again.state.last_sync is not None


def test_worker_sends_on_wake_and_stops_quickly(rig: Rig) -> None:
    worker = Worker(rig.tracker)
    worker.start()
    assert worker.wait_cycles(1, timeout=10)
    rig.tracker.start(description="via worker")
    worker.wake()
    assert wait_until(lambda: len(rig.all_server_timers()) == 1)
    assert worker._thread.name == "mrtimer-worker"
    assert worker.stop(timeout=2.0) and not worker.alive


def test_worker_refreshes_after_a_wall_clock_jump(rig: Rig, clock: FakeClock) -> None:
    worker = Worker(rig.tracker)
    worker.start()
    assert worker.wait_cycles(1, timeout=10)
    other = ApiClient(rig.base_url, lambda: KEY)
    other.play(description="from phone")
    assert rig.tracker.seconds_until_due() > 30  # next poll is a minute away
    clock.jump_wall(3 * 3600)  # the laptop slept for three hours
    worker.wake()
    assert wait_until(lambda: rig.tracker.state.running is not None
                      and rig.tracker.state.running.label == "from phone")
    assert worker.stop()
    other.close()
