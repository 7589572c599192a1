"""Start, watch and stop a group of child processes, with prefixed output.

Used by `python -m reseller.runner` (`make run`) and by the end-to-end test.
Each child gets its own process group, so a Ctrl-C in the terminal reaches only
the parent. The parent then stops the children in reverse start order. Each
child gets SIGTERM, and its whole group gets SIGKILL once the child has exited
or the grace period has passed, so that no helper process it started lingers.

NOTE: because each child has its own session, children outlive a parent that
is killed with SIGKILL; stop them by their process ids in that case.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

logger = logging.getLogger(__name__)

# Lines of output kept per process for error reports.
DEFAULT_TAIL_LINES = 300


class Cancelled(Exception):
    """A one-off command was stopped because the run is being stopped."""


class PrefixedOutput:
    """Writes each line of each process as `name | line`, keeping a tail per process.

    Lines from different processes never interleave within a line because one
    lock guards the stream. With `stream=None` nothing is printed and the lines
    are only kept (the end-to-end test prints them on failure).

    `highlight(name, line)` may return a text for a line worth spotting; it is
    printed once more as `highlight_name | text` right after that line.
    """

    def __init__(
        self,
        stream: TextIO | None = sys.stdout,
        *,
        tail_lines: int = DEFAULT_TAIL_LINES,
        highlight: Callable[[str, str], str | None] | None = None,
        highlight_name: str = "mail",
    ) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._tail_lines = tail_lines
        self._tails: dict[str, deque[str]] = {}
        self._width = 6
        self._highlight = highlight
        self._highlight_name = highlight_name

    def register(self, name: str) -> None:
        with self._lock:
            self._tails.setdefault(name, deque(maxlen=self._tail_lines))
            self._width = max(self._width, len(name))

    def write(self, name: str, line: str) -> None:
        line = line.rstrip("\r\n")
        with self._lock:
            self._tails.setdefault(name, deque(maxlen=self._tail_lines)).append(line)
            if self._stream is None:
                return
            self._stream.write(f"{name:<{self._width}} | {line}\n")
            marked = self._highlight(name, line) if self._highlight is not None else None
            if marked is not None:
                self._stream.write(f"{self._highlight_name:<{self._width}} | {marked}\n")
            self._stream.flush()

    def tail(self, name: str) -> list[str]:
        with self._lock:
            return list(self._tails.get(name, ()))

    def report(self, names: Iterable[str] | None = None) -> str:
        """Format the kept output of the named processes (all by default), one block each."""
        with self._lock:
            selected = list(self._tails) if names is None else list(names)
            blocks = []
            for name in selected:
                lines = self._tails.get(name, deque())
                blocks.append(f"----- {name} (last {len(lines)} lines) -----")
                blocks.extend(lines)
            return "\n".join(blocks)


@dataclass
class ProcessSpec:
    """How to start one child process."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: str | None = None


@dataclass
class ManagedProcess:
    """A started child, the thread copying its output, and how it ended."""

    spec: ProcessSpec
    popen: subprocess.Popen[str]
    # True once its exit is expected: a one-off command, or a stop was requested.
    stopping: bool = False
    reader: threading.Thread | None = None
    exit_reported: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def is_running(self) -> bool:
        return self.popen.poll() is None


class ProcessGroup:
    """The children of one run: started in order, stopped in reverse order."""

    def __init__(self, output: PrefixedOutput, *, grace_seconds: float = 10.0) -> None:
        self.output = output
        self.grace_seconds = grace_seconds
        self.processes: list[ManagedProcess] = []
        # Set when a child exits without a stop request.
        self.unexpected_exit = threading.Event()
        self.first_unexpected: ManagedProcess | None = None
        self._lock = threading.Lock()

    def start(self, spec: ProcessSpec, *, expect_exit: bool = False) -> ManagedProcess:
        """Start a child; unless `expect_exit`, its exit counts as unexpected."""
        self.output.register(spec.name)
        popen = subprocess.Popen(
            list(spec.argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(spec.env) if spec.env is not None else None,
            cwd=spec.cwd,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,
        )
        process = ManagedProcess(spec=spec, popen=popen, stopping=expect_exit)
        process.reader = threading.Thread(
            target=self._copy_output, args=(process,), name=f"output-{spec.name}", daemon=True
        )
        with self._lock:
            self.processes.append(process)
        process.reader.start()
        logger.debug("Started %s (pid %s)", spec.name, popen.pid)
        return process

    def _copy_output(self, process: ManagedProcess) -> None:
        stream = process.popen.stdout
        assert stream is not None
        for line in stream:
            self.output.write(process.name, line)
        stream.close()
        code = process.popen.wait()
        with self._lock:
            expected = process.stopping
            if not expected and self.first_unexpected is None:
                self.first_unexpected = process
        if not expected:
            self.output.write(process.name, f"[exited unexpectedly with code {code}]")
            self.unexpected_exit.set()
        process.exit_reported.set()

    def run_to_completion(
        self,
        spec: ProcessSpec,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        """Run a one-off command with prefixed output and return its exit code.

        Raises subprocess.TimeoutExpired when it outlives `timeout`, and
        Cancelled when `cancel` is set first; in both cases the command is
        stopped before the exception propagates.
        """
        process = self.start(spec, expect_exit=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        while process.is_running():
            if cancel is not None and cancel.is_set():
                self._stop_one(process)
                raise Cancelled(f"{spec.name} was stopped before it finished")
            if deadline is not None and time.monotonic() > deadline:
                self._stop_one(process)
                raise subprocess.TimeoutExpired(list(spec.argv), timeout or 0.0)
            time.sleep(0.1)
        process.exit_reported.wait(timeout=5)
        with self._lock:
            self.processes.remove(process)
        return process.popen.wait()

    def running(self) -> list[ManagedProcess]:
        with self._lock:
            return [process for process in self.processes if process.is_running()]

    def stop_all(self) -> None:
        """Stop every child: SIGTERM to each in reverse start order, SIGKILL after the grace."""
        with self._lock:
            processes = list(reversed(self.processes))
            for process in processes:
                process.stopping = True
        for process in processes:
            self._terminate(process)
        deadline = time.monotonic() + self.grace_seconds
        for process in processes:
            self._wait_or_kill(process, deadline)

    def kill_all(self) -> None:
        """SIGKILL every child's process group at once, without a grace period."""
        with self._lock:
            processes = list(self.processes)
            for process in processes:
                process.stopping = True
        for process in processes:
            self._signal(process, signal.SIGKILL)

    def _stop_one(self, process: ManagedProcess) -> None:
        process.stopping = True
        self._terminate(process)
        self._wait_or_kill(process, time.monotonic() + self.grace_seconds)

    def _wait_or_kill(self, process: ManagedProcess, deadline: float) -> None:
        try:
            process.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.output.write(
                process.name, f"[still running after {self.grace_seconds:g} s; killing it]"
            )
            self._signal(process, signal.SIGKILL)
            process.popen.wait()
        # Helpers the child started in its group (Celery's pool processes) go too.
        # They may hold the output pipe open, so this comes before waiting for EOF.
        self._signal(process, signal.SIGKILL)
        process.exit_reported.wait(timeout=5)

    @staticmethod
    def _terminate(process: ManagedProcess) -> None:
        # SIGTERM goes to the child alone: a Celery worker then stops its own pool
        # processes (a warm shutdown), which a SIGTERM to the whole group would break.
        if process.is_running():
            process.popen.terminate()

    @staticmethod
    def _signal(process: ManagedProcess, signum: signal.Signals) -> None:
        try:
            os.killpg(process.popen.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone already
