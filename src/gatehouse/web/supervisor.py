"""Keeping N worker processes serving until the server is told to stop.

A worker that dies (a crash, the kernel's OOM killer, an operator's ``kill -9``) is logged
and replaced; the others serve on meanwhile, each on its own socket (web/serving.py), so
the kernel sends new connections only to live workers. A worker that dies soon after it
started has failed at start-up: that slot waits before the next try, twice as long each
time (up to ``MAX_BACKOFF`` seconds), so a worker that cannot start does not spin. When
every slot has failed ``MAX_STARTUP_FAILURES`` times in a row the supervisor gives up.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

log = logging.getLogger("gatehouse.server")

STARTUP_SECONDS = 10.0  # a worker that dies sooner failed at start-up
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 30.0
MAX_STARTUP_FAILURES = 6  # in a row in every slot: about 30 s of trying
POLL_SECONDS = 0.2


@dataclass
class _Slot:
    number: int
    process: BaseProcess | None = None
    started: float = 0.0
    restart_at: float = 0.0
    failures: int = 0  # start-up failures in a row


def _exit_description(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return f"exited with status {exitcode}"


class Supervisor:
    def __init__(self, target: Callable[..., None], args: tuple[Any, ...], workers: int) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._target = target
        self._args = args
        self._slots = [_Slot(number) for number in range(1, workers + 1)]
        self._stopping = False

    def run(self) -> bool:
        """Serve until SIGTERM or SIGINT (True) or until no worker can start (False)."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        try:
            for slot in self._slots:
                self._start(slot)
            while not self._stopping:
                now = time.monotonic()
                for slot in self._slots:
                    self._tend(slot, now)
                if all(slot.failures >= MAX_STARTUP_FAILURES for slot in self._slots):
                    log.error("no worker could start; stopping (see the errors above)")
                    return False
                time.sleep(POLL_SECONDS)
            return True
        finally:
            self._stop_all()

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _start(self, slot: _Slot) -> None:
        process = self._context.Process(target=self._target, args=self._args, daemon=True)
        process.start()
        slot.process, slot.started = process, time.monotonic()
        log.info("worker %d started (pid %s)", slot.number, process.pid)

    def _tend(self, slot: _Slot, now: float) -> None:
        process = slot.process
        if process is None:
            if now >= slot.restart_at:
                self._start(slot)
            return
        lived = now - slot.started
        if process.is_alive():
            if slot.failures and lived >= STARTUP_SECONDS:
                slot.failures = 0
            return
        slot.process = None
        if lived < STARTUP_SECONDS:
            slot.failures += 1
            delay = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (slot.failures - 1))
        else:
            slot.failures, delay = 0, 0.0
        slot.restart_at = now + delay
        log.error(
            "worker %d (pid %s) %s after %.1f s; starting a replacement%s",
            slot.number,
            process.pid,
            _exit_description(process.exitcode),
            lived,
            f" in {delay:g} s" if delay else "",
        )

    def _stop_all(self) -> None:
        processes = [slot.process for slot in self._slots if slot.process is not None]
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)


def supervise(target: Callable[..., None], args: tuple[Any, ...], workers: int) -> bool:
    """Run ``target(*args)`` in ``workers`` spawned processes, replacing any that dies, until
    SIGTERM or SIGINT (True) or until none can start (False); then stop them."""
    return Supervisor(target, args, workers).run()
