"""What every command shares: the typer app, the consoles, exit codes, error mapping, options.

The command modules (runs, tools, demo) define the commands and the package's __init__ adds them
to `app`; nothing here knows any one command.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import re
import signal
import threading
from collections.abc import Callable, Iterator
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from simulator import db
from simulator.cli import progress
from simulator.errors import Loc, Problem, UserError, display_path

if TYPE_CHECKING:
    from simulator.core.session import Session
    from simulator.inputs.bundle import Inputs

P = ParamSpec("P")

# A flag takes no value: no type is shown beside it in --help.
FLAG = ""
app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Predict and verify what survives an Ex Libris Alma cutover, and why.")


class Terminal:
    """The consoles and global options of the running invocation, renewed by each one.

    A rich Console reads the terminal's width (COLUMNS) when it is made, and one process may run
    many invocations (tests pass COLUMNS per run), so the callback makes new consoles every time.
    Commands reach them as `term.out` / `term.err` when they print, never bound at import.
    """

    def __init__(self) -> None:
        self.options = {"debug": False, "quiet": False}
        self.renew()

    def renew(self, debug: bool = False, quiet: bool = False) -> None:
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        self.options.update(debug=debug, quiet=quiet)  # updated in place: tests hold the dict


term = Terminal()


class Exit(IntEnum):
    """Exit codes of every command.

    OK: done, nothing over threshold. FINDINGS: done, but blockers or discrepancies over
    threshold. BAD_INPUT: bad input or usage; the message names file, line/row and column (or
    the path and option to change, for a full disk or too little memory). INTERNAL: a bug; a
    short message (the traceback with --debug). A command stopped by SIGINT (Ctrl-C) or SIGTERM
    exits 128 + the signal's number: 130 or 143.
    """

    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2
    INTERNAL = 3


STOPPING = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class _Stopped:
    """The signal that stopped the running command, if one did."""

    signum: int | None = None


def _on_signal(signum: int, frame: Any) -> None:
    _Stopped.signum = signum
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stoppable() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the command, whose cleanups run (the run
    folder's temp folder is removed); `run` then exits 130 or 143."""
    _Stopped.signum = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {s: signal.signal(s, _on_signal) for s in STOPPING}
    try:
        yield
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)


def run(fn: Callable[[], int], writes: bool = True) -> None:
    """Run a command's body and exit with its code; errors become BAD_INPUT or INTERNAL, a
    signal 128 + its number. `writes`: the command writes files (its errors say that nothing
    was)."""
    try:
        with _stoppable():
            try:
                code = fn()
            except BaseException:
                progress.done(failed=True)  # the step the error ended, marked as such
                raise
            progress.done()  # end a running spinner before the result shows
    except UserError as e:
        _bad_input(e.problems, writes)
    except (typer.Exit, typer.Abort):
        raise
    except KeyboardInterrupt:
        _stop()
    except Exception as e:
        if _Stopped.signum is not None:
            _stop()  # DuckDB turned the signal into an error of its own
        fault = environment_fault(e)
        if fault is not None:
            _bad_input([fault], writes)
        _internal(e)
    raise typer.Exit(code)


def _bad_input(problems: list[Problem] | list[str], writes: bool = True) -> None:
    """Each problem as an `error` line (a note about them as a `note`), then their count."""
    for p in problems:
        kind = "[dim]note[/dim]" if isinstance(p, Problem) and p.note else "[red]error[/red]"
        term.err.print(f"{kind} {escape(str(p))}", markup=True, highlight=False)
    n = sum(1 for p in problems if not (isinstance(p, Problem) and p.note))
    said = "; nothing was written" if writes else ""
    term.err.print(f"{n} problem{'s' if n != 1 else ''}{said}.")
    raise typer.Exit(Exit.BAD_INPUT) from None


def _stop() -> None:
    signum = _Stopped.signum or signal.SIGINT
    term.err.print(f"stopped by {STOPPING.get(signal.Signals(signum), signum)}; nothing "
                   "half-written is left")
    raise typer.Exit(128 + signum) from None


def _internal(e: Exception) -> None:
    if term.options["debug"]:
        term.err.print_exception()
        raise typer.Exit(Exit.INTERNAL) from None
    first = str(e).splitlines()[0] if str(e) else ""
    term.err.print(f"internal error: {type(e).__name__}: {first} "
                      "(run with --debug for the traceback)")
    raise typer.Exit(Exit.INTERNAL) from None


# Errors of the machine rather than of the tool or the input (docs/formats/exit-codes.md), with what
# to do about them.
_FAULTS = {
    errno.ENOSPC: "free some space on that disk",
    errno.EDQUOT: "free some space on that disk",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "check its permissions",
    errno.EPERM: "check its permissions",
    errno.ELOOP: "a symbolic link loop",
    errno.EIO: "the disk reports an error",
}


def environment_fault(e: Exception) -> str | None:
    """The message for an error of the environment: DuckDB out of memory, a full or read-only
    disk, a file that cannot be read, a symbolic link loop; None for anything else (a bug)."""
    if db.out_of_memory(e):
        return (f"DuckDB ran out of memory within its limit of {db.memory_limit_in_use()}: "
                "give a larger --memory-limit (e.g. 4GB) or set CUTOVER_MEMORY_LIMIT")
    disk = db.disk_problem(e)
    if disk is not None:
        named = re.search(r'file \\?"([^"\\]+)\\?"', str(e))
        where = display_path(named.group(1)) if named else "DuckDB (its spill folder: TMPDIR)"
        return f"{where}: {disk[0]}: {_FAULTS[disk[1]]}"
    if isinstance(e, OSError) and e.errno in _FAULTS:
        where = display_path(e.filename) if e.filename else "a file"
        return f"{where}: {e.strerror}: {_FAULTS[e.errno]}"
    if isinstance(e, RuntimeError) and str(e).startswith("Symlink loop from "):
        where = display_path(str(e).split(" from ", 1)[1].strip("'"))
        return f"{where}: {_FAULTS[errno.ELOOP]}"
    return None


def exit_codes(command: Callable[P, int], writes: bool = True) -> Callable[P, None]:
    """Decorate a command whose body returns an exit code: `run` maps its result and errors.

    functools.wraps keeps the signature and docstring, from which typer takes options and help.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        run(lambda: command(*args, **kwargs), writes)

    return wrapper


def reading_exit_codes(command: Callable[P, int]) -> Callable[P, None]:
    """`exit_codes` for a command that only reads and reports (`snapshot validate`,
    `explain`, `rules lint`): its errors do not speak of files written."""
    return exit_codes(command, writes=False)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option(help="Show tracebacks of internal errors.",
                                        metavar=FLAG)] = False,
    quiet: Annotated[bool, typer.Option(help="No progress messages.", metavar=FLAG)] = False,
) -> None:
    term.renew(debug, quiet)


Pre = Annotated[Path, typer.Option("--pre", help="Alma snapshot folder at the freeze.")]
Extract = Annotated[Path, typer.Option("--extract", help="Final legacy extract folder.")]
ScenarioOpt = Annotated[Path, typer.Option("--scenario", help="Scenario YAML file.")]
Testload = Annotated[Path | None, typer.Option(
    "--testload", help="Alma snapshot after the test load (optional).")]
ShowPii = Annotated[bool, typer.Option(
    "--show-pii", help="Show e-mail addresses in the report, the CSV files and summary.json "
                       "(masked by default).", metavar=FLAG)]
RulesOpt = Annotated[list[Path] | None, typer.Option(
    "--rules", help="A rule pack folder layered over the default (repeatable).",
    metavar="<folder>")]
MemoryLimit = Annotated[str | None, typer.Option(
    "--memory-limit", help="DuckDB memory limit, e.g. 4GB; beyond it work spills to disk "
                           "(default: CUTOVER_MEMORY_LIMIT, or 1GB, or half of the machine's "
                           "memory if that is less).", metavar="<size>")]
Out = Annotated[Path, typer.Option("--out", help="Run folder to write.")]


def check_options(csv: str | None = None, memory_limit: str | None = None) -> None:
    """The options several commands share, checked before any work starts."""
    from simulator.output.runfolder import CSV_MODES

    if csv is not None and csv not in CSV_MODES:
        raise UserError(Problem(Loc("--csv"),
                                f"must be one of {', '.join(CSV_MODES)}, not '{csv}'"))
    if memory_limit and (bad := db.check_memory_limit(memory_limit)):
        raise UserError(Problem(Loc("--memory-limit"), bad))


def step(name: str) -> None:
    """The progress callback commands get: a step on stderr, shown once it takes over a second."""
    progress.report(term.err, not term.options["quiet"], name)


def warn(lines: list[str]) -> None:
    """Warnings on stderr: the run goes on, but the user should know."""
    for line in lines:
        term.err.print(f"[yellow]warning[/yellow] {escape(line)}")


def open_inputs(pre: Path, extract: Path, scenario: Path, testload: Path | None) -> Inputs:
    """The input folders and scenario, opened (not yet loaded), with their warnings shown."""
    from simulator.inputs.bundle import open_inputs as open_bundle

    inputs = open_bundle(pre, extract, scenario, testload)
    warn(inputs.warnings())
    return inputs


def open_session(pre: Path, extract: Path, scenario: Path, testload: Path | None,
                 rules: list[Path] | None = None, memory_limit: str | None = None,
                 pseudonymize: str | None = None) -> Session:
    """A Session over the inputs (opened, not yet loaded), with progress shown and the inputs'
    warnings printed; use it in a `with` block."""
    from simulator.core.session import Session

    return Session(open_inputs(pre, extract, scenario, testload), rules=rules,
                   memory_limit=memory_limit, progress=step, pseudonymize=pseudonymize)


def print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]],
                right: tuple[str, ...] = ("records",)) -> None:
    """A findings-like table on stdout (numbers right-aligned); nothing when there are no rows."""
    if not rows:
        return
    table = RichTable(title=title)
    for col in columns:
        table.add_column(col, justify="right" if col in right else "left")
    for row in rows:
        table.add_row(*row)
    term.out.print(table)


def print_findings(title: str, noun: str, findings: list[tuple[str, str, int]]) -> None:
    """The severity / title / records table of predict and verify (`noun` heads the title)."""
    print_table(title, ("severity", noun, "records"),
                [(severity, what, f"{count:,}") for severity, what, count in findings])
