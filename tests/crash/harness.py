"""Start the real ``recallguard`` processes, SIGKILL them at seeded random points, start them again.

A component runs in *rounds*: each round starts the command, waits until a probe shows that it did
some work since it started (listings stored, listings screened, webhooks received, or — for the
single-transaction recall import — its write transaction open) and sends SIGKILL. Where the rounds
land is spread on purpose (``Harness.marks``): round i of n waits for a mark in the i-th of n equal
slices of the work (early and late work are both hit, whatever the seed), and the rounds alternate
between killing as soon as the probe shows the mark (just after a commit: before the next batch, the
stream acknowledgement or an attempt's outcome is written) and a seeded random moment later (inside
the next batch or HTTP attempt). So two rounds already cover each kind of kill point; more rounds
(``RECALLGUARD_CRASH_ROUNDS``) only add seeded variety. After the last kill the command runs to its
end. Every kill is recorded (``KillRecord``).

>>> KillRecord("scan", 1, "screened>=120 +0.31s", 100, True).describe()
'scan#1: killed at progress 100 (screened>=120 +0.31s)'
>>> [round_jitter(r, 0.5) for r in (1, 2, 3)]  # odd rounds at the mark, even ones up to 0.5 s later
[0.0, 0.5, 0.0]
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from recallguard.store.engine import normalise_url

Probe = Callable[[], int]
Marks = list[tuple[int, float]]  # per round: (progress to wait for, the most jitter after it)
WAIT_S = 240.0  # no single process may take longer (a hang fails the test, naming the process)

# A suite started in the background by a shell without job control (``make test &``, ``nohup``) inherits
# SIGINT ignored, and so would every process started here: the stream worker, stopped with SIGINT, never
# stopped, and the test failed as a hang. With Python's usual handler in this process, the processes it
# starts get the default disposition (a handled signal is reset at exec; an ignored one stays ignored).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def round_jitter(rnd: int, jitter_s: float) -> float:
    """The most random delay after the mark in round ``rnd`` (from 1): none in odd rounds (the kill
    lands just after the commit the probe saw), up to ``jitter_s`` in even ones (inside the next unit)."""
    return 0.0 if rnd % 2 else jitter_s


@dataclass
class KillRecord:
    """One fault injected: which process, which round, what triggered the kill and the progress then."""

    component: str
    round: int
    trigger: str
    progress: int
    killed: bool  # False: the process finished before the kill landed
    note: str = ""

    def describe(self) -> str:
        what = "killed" if self.killed else "finished before the kill"
        note = f"; {self.note}" if self.note else ""
        return f"{self.component}#{self.round}: {what} at progress {self.progress} ({self.trigger}{note})"


@dataclass
class Harness:
    """Processes against one store (``url``), their logs under ``workdir``, kills drawn from ``rng``."""

    url: str
    workdir: Path
    rng: random.Random
    env: dict[str, str] = field(default_factory=dict)
    kills: list[KillRecord] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for the report
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _n: int = 0
    _started: list[subprocess.Popen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.engine = create_engine(normalise_url(self.url), pool_pre_ping=True)
        self.workdir.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        """Kill whatever still runs (a failed test must not leave a worker on the shared database)."""
        for p in self._started:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.engine.dispose()

    # --- processes -------------------------------------------------------------------------------
    def start(
        self, component: str, args: Sequence[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        """Start ``recallguard ARGS`` with the harness's environment; output goes to a log file."""
        with self._lock:
            self._n += 1
            log = self.workdir / f"{self._n:03d}-{component}.log"
        full_env = {**os.environ, **self.env, "RECALLGUARD_DATABASE_URL": self.url, **(env or {})}
        f = log.open("w")
        p = subprocess.Popen(
            [sys.executable, "-m", "recallguard", *args],
            stdout=f,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=self.workdir,
        )
        p.log = log  # type: ignore[attr-defined]
        f.close()
        with self._lock:
            self._started.append(p)
        return p

    def log_of(self, p: subprocess.Popen) -> str:
        return Path(p.log).read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]

    def wait(
        self, p: subprocess.Popen, component: str, ok: Sequence[int] = (0,), timeout: float = WAIT_S
    ) -> int:
        """Wait for ``p`` to exit with one of the ``ok`` codes (AssertionError with its log otherwise)."""
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise AssertionError(f"{component} hung for {timeout}s:\n{self.log_of(p)}") from None
        assert rc in ok, f"{component} exited {rc}:\n{self.log_of(p)}"
        return rc

    def kill_when(
        self,
        p: subprocess.Popen,
        component: str,
        rnd: int,
        probe: Probe,
        target: int,
        jitter_s: float,
        label: str,
        ok: Sequence[int] = (0,),
        abandon: Callable[[], bool] | None = None,
    ) -> KillRecord | None:
        """SIGKILL ``p`` once ``probe() >= target`` plus a random ``[0, jitter_s)`` moment; if it ends
        first, its exit code must be one of ``ok``."""
        deadline = time.monotonic() + WAIT_S
        progress = probe()
        while p.poll() is None and progress < target:
            if abandon is not None and abandon():
                return None  # the work ran out before the mark: ``p`` is left running
            if time.monotonic() > deadline:
                p.kill()
                raise AssertionError(f"{component}: no progress to {target} in {WAIT_S}s:\n{self.log_of(p)}")
            time.sleep(0.03)
            progress = probe()
        extra = self.rng.uniform(0, jitter_s)
        if p.poll() is None:
            time.sleep(extra)
        at = probe()  # the progress when the signal goes out
        killed = p.poll() is None
        if killed:
            p.send_signal(signal.SIGKILL)
            p.wait()
        else:
            self.wait(p, component, ok)
        rec = KillRecord(component, rnd, f"{label}>={target} +{extra:.2f}s", at, killed)
        with self._lock:
            self.kills.append(rec)
        return rec

    def marks(self, total: int, rounds: int, jitter_s: float, top: float = 0.9) -> Marks:
        """Where ``rounds`` kills land: round i of n at a seeded point of the i-th of n equal slices of
        [5 %, ``top``) of ``total`` progress, with ``round_jitter(i, jitter_s)``."""
        width = (top - 0.05) / rounds
        return [
            (int((0.05 + width * (i + self.rng.random())) * total), round_jitter(i + 1, jitter_s))
            for i in range(rounds)
        ]

    def kill_rounds(
        self,
        component: str,
        args: Sequence[str],
        probe: Probe,
        marks: Marks,
        label: str,
        ok: Sequence[int] = (0,),
        abandon: Callable[[], bool] | None = None,
    ) -> subprocess.Popen | None:
        """Start ``recallguard ARGS`` once per mark and SIGKILL it there (``kill_when``). Returns the
        process left running when ``abandon()`` ended the rounds early (the work ran out), else None."""
        for i, (mark, jitter_s) in enumerate(marks, 1):
            p = self.start(component, args)
            target = max(mark, probe() + 1)  # at least one unit of work since this start
            if self.kill_when(p, component, i, probe, target, jitter_s, label, ok, abandon) is None:
                return p
        return None

    def run_with_kills(
        self,
        component: str,
        args: Sequence[str],
        probe: Probe,
        total: int,
        rounds: int,
        jitter_s: float,
        ok: Sequence[int] = (0,),
        label: str = "progress",
    ) -> None:
        """``rounds`` killed runs (``marks``), then one to the end."""
        self.kill_rounds(component, args, probe, self.marks(total, rounds, jitter_s), label, ok)
        self.wait(self.start(component, args), component, ok)

    # --- probes (plain SQL, both backends) ---------------------------------------------------------
    def count(self, sql: str, **params: Any) -> int:
        """One number from the store; 0 while the schema does not exist yet."""
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(text(sql), params).scalar() or 0)
        except Exception:  # no tables yet (the first process is still creating them)
            return 0

    def writer_active(self, app_name: str) -> int:
        """1 while a write transaction is open: on PostgreSQL the one of the process started with
        ``PGAPPNAME=app_name``; on SQLite any writer (the database's write lock is taken)."""
        if self.url.startswith("sqlite"):
            path = self.url.split("sqlite:///", 1)[1]
            if not Path(path).exists():
                return 0
            conn = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return 0
            except sqlite3.OperationalError:  # database is locked: a writer holds it
                return 1
            finally:
                conn.close()
        return self.count(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = :a AND backend_xid IS NOT NULL",
            a=app_name,
        )


class Background(threading.Thread):
    """A long-running command (``deliver``, ``worker``) killed at ``rounds`` seeded progress marks,
    then left running until ``finish()``, which stops it with ``stop_signal`` once ``done()`` holds."""

    def __init__(
        self,
        h: Harness,
        component: str,
        args: Sequence[str],
        probe: Probe,
        total: int,
        rounds: int,
        jitter_s: float,
        label: str,
        stop_signal: int = signal.SIGTERM,
        ready: str | None = None,
    ) -> None:
        super().__init__(daemon=True, name=component)
        self.ready = ready  # a line the command logs once it handles ``stop_signal`` (None: any time)
        self.h, self.component, self.args, self.probe = h, component, args, probe
        self.marks = h.marks(total, rounds, jitter_s, top=0.8)
        self.label, self.stop_signal = label, stop_signal
        self.no_more_work = threading.Event()  # set by the caller: nothing will arrive any more
        self.error: BaseException | None = None
        self.proc: subprocess.Popen | None = None
        self.kills_done = threading.Event()

    def run(self) -> None:
        try:
            h, stop = self.h, self.no_more_work.is_set
            left = h.kill_rounds(self.component, self.args, self.probe, self.marks, self.label, abandon=stop)
            self.proc = left or h.start(self.component, self.args)
        except BaseException as e:  # reported by finish()
            self.error = e
        finally:
            self.kills_done.set()

    def finish(self, done: Callable[[], bool], timeout: float = WAIT_S) -> None:
        """Wait until the kills are over and ``done()`` holds (kill rounds whose mark the work never
        reaches are dropped), then stop the last process with ``stop_signal``."""
        deadline = time.monotonic() + timeout
        while not self.kills_done.wait(0.1):
            if done():
                self.no_more_work.set()
            assert time.monotonic() < deadline, f"{self.component}: kill rounds not over after {timeout}s"
        while self.error is None and not done():
            assert time.monotonic() < deadline, f"{self.component}: not done after {timeout}s"
            assert self.proc is None or self.proc.poll() is None, (
                f"{self.component} died:\n{self.h.log_of(self.proc)}"
            )
            time.sleep(0.1)
        self.join(timeout)
        if self.error is not None:
            raise self.error
        assert self.proc is not None
        while self.ready and self.ready not in self.h.log_of(self.proc):  # still starting up
            assert self.proc.poll() is None, f"{self.component} died:\n{self.h.log_of(self.proc)}"
            assert time.monotonic() < deadline, f"{self.component}: never logged {self.ready!r}"
            time.sleep(0.05)
        self.proc.send_signal(self.stop_signal)
        self.h.wait(self.proc, self.component, ok=(0, 130, -self.stop_signal))
