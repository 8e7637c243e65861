"""Progress on stderr for long steps: a spinner with the step's name, only past a second.

Commands report steps through a plain callback (`progress("classifying records")`); a `Steps`
object is that callback. A step that ends within `delay` seconds shows nothing. A longer one
shows a spinner with its name and elapsed time while it runs (on a terminal), and leaves one
line with its duration when it ends (`✓ classifying records (12.3 s)`; `✗` when an error ended
it); where stderr is no terminal (a log, CI), the spinner is replaced by one line when the step
passes `delay`. Nothing is ever written to stdout, so JSON and CSV outputs stay clean; `--quiet`
turns it all off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.status import Status

DELAY = 1.0  # seconds a step runs before it is shown


class Steps:
    """The progress callback: each call ends the previous step and starts the next."""

    def __init__(self, console: Console, enabled: bool = True, delay: float = DELAY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.enabled = enabled
        self.delay = delay
        self.clock = clock
        self.durations: list[tuple[str, float]] = []  # every finished step, shown or not
        self._lock = threading.Lock()
        self._step: str | None = None
        self._started = 0.0
        self._shown = False
        self._timer: threading.Timer | None = None
        self._status: Status | None = None

    def __call__(self, step: str) -> None:
        self.end()
        with self._lock:
            self._step, self._started, self._shown = step, self.clock(), False
            if self.enabled:
                self._timer = threading.Timer(self.delay, self._show, args=(step,))
                self._timer.daemon = True
                self._timer.start()

    def _show(self, step: str) -> None:
        with self._lock:
            if self._step != step or self._shown:
                return
            self._shown = True
            if self.console.is_terminal:
                self._status = Status(f"{step}…", console=self.console, spinner="dots")
                self._status.start()
            else:
                self.console.print(f"[dim]… {step}[/dim]", highlight=False)

    def end(self, failed: bool = False) -> None:
        """End the current step (if any): stop its spinner, print its duration if shown,
        marked ✗ when it `failed` (the errors follow)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._status is not None:
                self._status.stop()
                self._status = None
            if self._step is None:
                return
            took = self.clock() - self._started
            self.durations.append((self._step, took))
            if self.enabled and (self._shown or took >= self.delay):
                mark = "✗" if failed else "✓"
                self.console.print(f"[dim]{mark} {self._step} ({took:.1f} s)[/dim]",
                                   highlight=False)
            self._step = None

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.end()


_current: Steps | None = None


def report(console: Console, enabled: bool, step: str) -> None:
    """Start `step` of the running command (ending its previous step)."""
    global _current
    if _current is None:
        _current = Steps(console, enabled)
    _current(step)


def done(failed: bool = False) -> None:
    """End the running command's last step, before its result or an error is printed
    (`failed`: the step ended by that error)."""
    global _current
    if _current is not None:
        _current.end(failed)
        _current = None
