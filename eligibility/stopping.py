"""Stopping cleanly on Ctrl-C (SIGINT) and SIGTERM: one line on standard error, no half-written output line,
no worker process left behind, and a documented exit code (130 for SIGINT, 143 for SIGTERM, as shells do).

While a command runs, both signals are caught by :class:`Stopping`. A signal that arrives while an output line
is being written is held until the line is complete; otherwise it stops the command at once (even while it
waits for a worker). Then every worker process is killed and reaped, what was written is flushed (so the output
holds only complete lines: valid JSON Lines), and the process exits without running the worker pool's own
shutdown, which can wait forever for a worker killed while it held the pool's queue lock.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import IO

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Stopped(BaseException):
    """Raised in the main thread when SIGINT or SIGTERM arrives (a BaseException, like KeyboardInterrupt, so
    that no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Stopping:
    """The signal handler of a running command, and the output that must never be cut mid-line."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.lines = 0
        self._writing = False
        self._pending: int | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """Signal handler: stop now, or as soon as the line being written is complete."""
        if self._writing:
            self._pending = signum
        else:
            raise Stopped(signum)

    def write(self, text: str) -> int:
        """Write ``text`` (whole lines) and flush it, with signals held until it is out: between two writes
        nothing is left half-written in a buffer."""
        self._writing = True
        try:
            written = self._write_all(text)
        finally:
            self._writing = False
        self.lines += text.count("\n")
        if self._pending is not None:
            raise Stopped(self._pending)
        return written

    def _write_all(self, text: str) -> int:
        """Every byte of ``text`` handed to the operating system before returning (partial writes are
        continued), bypassing Python's buffers, which can lose the rest of a write cut by a signal."""
        try:
            descriptor = self.out.fileno()
        except (AttributeError, OSError, ValueError):  # not a file (e.g. a StringIO in a test)
            return self.out.write(text)
        self.out.flush()
        data = memoryview(text.encode(getattr(self.out, "encoding", None) or "utf-8"))
        while data:
            data = data[os.write(descriptor, data) :]
        return len(text)

    def flush(self) -> None:
        """Flush the output (so the stream can stand in for a file)."""
        self.out.flush()


@contextmanager
def stoppable(out: IO[str] | None = None, what: str | None = "line(s)") -> Iterator[Stopping]:
    """Run a command under :class:`Stopping`; on a signal, stop as described above and exit the process."""
    stopping = Stopping(out or sys.stdout)
    previous = {signum: signal.signal(signum, stopping.handle) for signum in EXIT_CODES}
    try:
        yield stopping
    except Stopped as stop:
        _stop(stopping, stop.signum, what)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop(stopping: Stopping, signum: int, what: str | None) -> None:
    for signum_ in EXIT_CODES:
        signal.signal(signum_, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    children = multiprocessing.active_children()
    for child in children:
        child.kill()  # workers also die with this process (see eligibility.screen.batch)
    for child in children:
        child.join(timeout=1)
    try:
        stopping.out.flush()  # what a write interrupted by the signal left in the buffer: the rest of its line
    except (OSError, ValueError):
        pass
    name = signal.Signals(signum).name
    written = f": {stopping.lines} {what} written, each complete" if what else ""
    sys.stderr.write(f"stopped by {name}{written}\n")
    sys.stderr.flush()
    os._exit(EXIT_CODES[signal.Signals(signum)])
