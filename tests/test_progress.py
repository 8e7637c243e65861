"""Progress on stderr (simulator.progress): only for steps over a second, never in outputs."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from simulator.cli import app, progress
from simulator.cli.progress import Steps

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def console(terminal: bool = False) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=terminal, width=100, color_system=None), buf


def test_quick_steps_show_nothing() -> None:
    con, buf = console()
    clock = FakeClock()
    with Steps(con, delay=1.0, clock=clock) as steps:
        steps("checking rules")
        clock.now = 0.3
        steps("classifying records")
        clock.now = 0.9
    assert buf.getvalue() == ""
    assert [name for name, _ in steps.durations] == ["checking rules", "classifying records"]


def wait_for(buf: io.StringIO, text: str, seconds: float = 10.0) -> None:
    """Until the timer thread has written `text` (a loaded machine may be slow to run it)."""
    deadline = time.monotonic() + seconds
    while text not in buf.getvalue():
        assert time.monotonic() < deadline, f"{text!r} never shown: {buf.getvalue()!r}"
        time.sleep(0.02)


def test_a_step_over_the_delay_shows_its_name_then_its_duration() -> None:
    con, buf = console()
    clock = FakeClock()
    with Steps(con, delay=0.05, clock=clock) as steps:
        steps("loading and validating snapshots")
        wait_for(buf, "… loading and validating snapshots")  # one line: no terminal here
        clock.now = 12.34
        steps("classifying records")
    text = buf.getvalue()
    assert "✓ loading and validating snapshots (12.3 s)" in text
    assert "classifying records" not in text  # it ended at once


def test_a_step_an_error_ended_is_marked_as_failed() -> None:
    """The errors that follow a step are its outcome: not a ✓ before them."""
    con, buf = console()
    clock = FakeClock()
    steps = Steps(con, delay=0.05, clock=clock)
    steps("validating")
    wait_for(buf, "… validating")
    clock.now = 1.25
    steps.end(failed=True)
    assert buf.getvalue().splitlines()[-1] == "✗ validating (1.2 s)"


def test_on_a_terminal_a_spinner_runs_and_leaves_one_line() -> None:
    con, buf = console(terminal=True)
    clock = FakeClock()
    with Steps(con, delay=0.05, clock=clock) as steps:
        steps("rendering the report")
        wait_for(buf, "rendering the report…")  # the spinner's line
        clock.now = 2.0
    assert "✓ rendering the report (2.0 s)" in buf.getvalue()


def test_disabled_shows_nothing_even_for_slow_steps() -> None:
    con, buf = console(terminal=True)
    with Steps(con, enabled=False, delay=0.01) as steps:
        steps("verifying")
        time.sleep(0.1)
    assert buf.getvalue() == ""
    assert steps.durations[0][0] == "verifying"


def test_report_and_done_keep_one_display_per_command() -> None:
    con, buf = console()
    progress.report(con, True, "a")
    first = progress._current
    progress.report(con, True, "b")
    assert progress._current is first
    progress.done()
    assert progress._current is None
    progress.done()  # harmless twice


@pytest.fixture
def slow_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every step looks slow (delay 0), so progress shows for a small run."""
    monkeypatch.setattr(progress.Steps.__init__, "__defaults__", (True, 0.0, time.monotonic))


def run_demo(tmp_path: Path, *options: str) -> tuple[str, str, Path]:
    out = tmp_path / "run"
    result = CliRunner().invoke(app, [*options, "predict", "--pre", str(SAMPLE / "freeze"),
                                      "--extract", str(SAMPLE / "extract"),
                                      "--scenario", str(SAMPLE / "scenario.yaml"),
                                      "--out", str(out), "--csv", "always"])
    assert result.exit_code in (0, 1), result.output
    return result.stdout, result.stderr, out


def test_progress_goes_to_stderr_only_and_quiet_turns_it_off(
        tmp_path: Path, slow_steps: None) -> None:
    stdout, stderr, out = run_demo(tmp_path)
    assert "✓ classifying records" in stderr
    assert "classifying" not in stdout and "✓" not in stdout
    stdout_q, stderr_q, out_q = run_demo(tmp_path / "q", "--quiet")
    assert "✓" not in stderr_q and "…" not in stderr_q
    # Outputs carry no progress text.
    for folder in (out, out_q):
        json.loads((folder / "summary.json").read_text())
        ledger = (folder / "ledger.csv").read_text()
        assert "✓" not in ledger and "…" not in ledger
