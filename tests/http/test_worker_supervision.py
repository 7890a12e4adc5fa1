"""`gatehouse serve --workers 2` keeps serving when a worker dies (web/supervisor.py)."""

from __future__ import annotations

import http.client
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatehouse.web import supervisor
from tests.support.live_server import LiveServer, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(f"sqlite:///{tmp_path / 'gatehouse.db'}", tmp_path, workers=2)
    yield live
    live.stop()


def workers_of(pid: int) -> set[int]:
    """The worker processes: children of the server started by multiprocessing's spawn."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        if parent == pid and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.add(int(entry.name))
    return found


def listening_sockets(port: int) -> int:
    """How many sockets LISTEN on 127.0.0.1:``port`` (each worker binds its own)."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == wanted and line.split()[3] == "0A")


def running(pid: int) -> bool:
    """Whether any thread of ``pid`` is still alive. A killed process's main thread can show
    as a zombie while its other threads (the back-channel sender) are still exiting and the
    sockets they share are still open, so every thread is looked at, not just the first."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    for task in tasks:
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # that thread is gone
        if stat[stat.rindex(")") + 2] != "Z":
            return True
    return False


def wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def test_a_killed_worker_is_logged_and_replaced_while_the_other_serves(
    server: LiveServer,
) -> None:
    wait_for(lambda: len(workers_of(server.process.pid)) == 2)
    wait_for(lambda: listening_sockets(server.port) == 2)  # both workers serve
    before = workers_of(server.process.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not running(victim))

    # Its socket closed with it: new connections go to the other worker's at once.
    assert all(healthy(server.port) for _ in range(20))
    wait_for(lambda: len(workers_of(server.process.pid) - {victim}) == 2)
    wait_for(lambda: listening_sockets(server.port) == 2)
    after = workers_of(server.process.pid)
    assert victim not in after and len(after - before) == 1
    assert server.process.poll() is None
    assert all(healthy(server.port) for _ in range(10))
    log = server.log()
    assert f"(pid {victim}) was killed by SIGKILL" in log
    assert "starting a replacement" in log
    (replacement,) = after - before
    assert f"started (pid {replacement})" in log


def _dies_at_once() -> None:
    raise SystemExit(3)


def test_a_worker_that_keeps_dying_at_start_up_backs_off_then_gives_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(supervisor, "FIRST_BACKOFF", 0.05)
    monkeypatch.setattr(supervisor, "MAX_STARTUP_FAILURES", 3)
    started = time.monotonic()
    assert supervisor.supervise(_dies_at_once, (), 1) is False
    # 0.05 + 0.1 s of waiting between the three tries, plus three process start-ups.
    assert time.monotonic() - started >= 0.15
    replacements = [r.getMessage() for r in caplog.records if "replacement" in r.getMessage()]
    assert len(replacements) == 3
    assert replacements[0].endswith("starting a replacement in 0.05 s")
    assert replacements[1].endswith("starting a replacement in 0.1 s")
    assert all("exited with status 3" in line for line in replacements)
    assert "no worker could start" in caplog.text
