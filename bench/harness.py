"""Process lifecycle, /proc accounting and the wrk driver used by bench/run.py.

Every child is started in its own session so it (and the worker processes it spawns) can be
ended by its own process-group id; nothing is ever killed by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

LUA_DIR = Path(__file__).resolve().parent / "lua"
CLOCK_TICK_US = 1_000_000 / os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class BenchError(RuntimeError):
    """Something the benchmark cannot work around; the message says what."""


# -- children ----------------------------------------------------------------------------------


class Children:
    """The processes this run started, ended by their own process-group ids."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[Any]] = []

    def start(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        stdout: IO[Any] | int | None = None,
        stderr: IO[Any] | int | None = subprocess.STDOUT,
        stdin: int | None = subprocess.DEVNULL,
        text: bool = False,
    ) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(
            list(argv),
            env=env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            text=text,
            start_new_session=True,  # pgid == pid: the group is ours alone
        )
        self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left after ``timeout``."""
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # Workers orphaned by a leader that died keep the group id; end them too.
        _signal_group(proc.pid, signal.SIGKILL)
        if proc in self._procs:
            self._procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self._procs)):
            try:
                self.stop(proc)
            except Exception as exc:  # keep cleaning up the others
                print(f"warning: could not stop pid {proc.pid}: {exc}")


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# -- /proc -------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (bounded by the process count)."""
    children = _children_map()
    tree, frontier = [root], [root]
    while frontier and len(tree) < 10_000:
        frontier = [c for p in frontier for c in children.get(p, [])]
        tree.extend(frontier)
    return tree


def cpu_ticks(root: int) -> int:
    """utime+stime of the live tree under ``root``, plus the CPU of children ``root`` has
    already reaped (cutime+cstime), so short-lived backends are not lost."""
    total = 0
    for pid in process_tree(root):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        # Fields after the name, 0-based: 11 utime, 12 stime, 13 cutime, 14 cstime.
        total += int(fields[11]) + int(fields[12])
        if pid == root:
            total += int(fields[13]) + int(fields[14])
    return total


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def worker_pids(root: int) -> list[int]:
    """The uvicorn worker processes of a server started with the ``spawn`` context."""
    return [p for p in process_tree(root) if "spawn_main" in cmdline(p)]


def rss_bytes(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        try:
            resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        total += resident * PAGE_SIZE
    return total


def listening_sockets(port: int) -> int:
    """How many sockets LISTEN on 127.0.0.1:``port`` (one per SO_REUSEPORT worker)."""
    wanted = f"0100007F:{port:04X}"
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":
            count += 1
    return count


def wait_until_serving(
    proc: subprocess.Popen[Any], port: int, workers: int, log: Path, timeout: float = 90.0
) -> None:
    """Until every worker listens on its own socket and /healthz answers."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode}; see {log}:\n{_tail(log)}")
        if listening_sockets(port) >= workers:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    raise BenchError(f"server on port {port} not ready after {timeout:.0f} s; see {log}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


# -- wrk ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    ok: int  # 2xx responses that are what the scenario counts (a token, a flow's token)
    bad: int  # every other response, plus socket errors and timeouts
    step: int  # intermediate successes: 303-with-code from /authorize in flow and mint
    filler: int  # requests sent after the codes ran out (404 by design), not counted
    seconds: float
    p50_ms: float
    p99_ms: float
    exhausted: bool
    client_cpu_us: float  # wrk's own CPU (user+system) for the whole run

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


def build_script(scenario: str, directory: Path) -> Path:
    """common.lua followed by the scenario's script, as one file wrk can load."""
    script = directory / f"{scenario}.lua"
    script.write_text(
        (LUA_DIR / "common.lua").read_text() + "\n" + (LUA_DIR / f"{scenario}.lua").read_text()
    )
    return script


def run_wrk(
    children: Children,
    url: str,
    script: Path,
    script_args: Sequence[str],
    *,
    seconds: int,
    connections: int,
) -> WrkResult:
    argv = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        *script_args,
    ]
    # wrk is the only child reaped while it runs (servers are reaped at the end), so the
    # growth of RUSAGE_CHILDREN over the run is wrk's CPU.
    reaped_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = children.start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # wrk's main thread sleeps for the whole -d even when a script stops its thread early;
    # SIGINT ends that sleep and wrk reports the time actually run. The scripts print
    # "BENCH-STOP" on stderr when they stop (codes minted, or codes used up).
    out_lines: list[str] = []
    err_lines: list[str] = []

    def read_stdout() -> None:
        assert proc.stdout is not None
        out_lines.extend(proc.stdout)

    def watch_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if line.startswith("BENCH-STOP") and proc.poll() is None:
                proc.send_signal(signal.SIGINT)

    readers = [
        threading.Thread(target=read_stdout, daemon=True),
        threading.Thread(target=watch_stderr, daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        children.stop(proc)
        raise BenchError(f"wrk did not finish within {seconds + 60} s") from None
    for reader in readers:
        reader.join(5)
    children.stop(proc)
    out, err = "".join(out_lines), "".join(err_lines)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
    data = json.loads(line[len("BENCH ") :])
    socket_errors = sum(data[k] for k in ("connect", "read", "write", "timeout"))
    return WrkResult(
        ok=data["ok"],
        bad=data["bad"] + socket_errors,
        step=data["step"],
        filler=data["filler"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        exhausted=bool(data["exhausted"]),
        client_cpu_us=_cpu_us(resource.getrusage(resource.RUSAGE_CHILDREN))
        - _cpu_us(reaped_before),
    )


def _cpu_us(usage: resource.struct_rusage) -> float:
    return (usage.ru_utime + usage.ru_stime) * 1e6
