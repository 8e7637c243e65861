"""`cutover snapshot pull`: Alma's REST API answers saved as a raw folder (docs/alma-api.md).

The API key is read from the environment variable that --api-key-env names, never from the
command line, and no message shows it. Progress (records and pages per folder) goes to stderr:
a bar per folder on a terminal, one line per finished folder elsewhere; --quiet turns it off.
The pull itself is `simulator.importers.alma_api.pull`.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from simulator.cli.common import Exit, exit_codes, print_table, term, warn
from simulator.cli.tools import snapshot_app
from simulator.errors import Loc, Problem, UserError
from simulator.importers.alma_api.pull_endpoints import BY_FOLDER
from simulator.importers.alma_api.pull_files import PROGRESS, Mark

if TYPE_CHECKING:
    from simulator.importers.alma_api.pull import Result

FOLDERS = ", ".join(BY_FOLDER)
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")  # a name shown in messages (a key never fits)


def api_key(variable: str) -> str:
    """The key from the environment; its variable is named in messages only if it looks like a
    variable's name (someone may pass the key itself by mistake)."""
    key = os.environ.get(variable, "").strip() if variable else ""
    if not key:
        shown = (f"the environment variable {variable}" if ENV_NAME.fullmatch(variable)
                 else "the environment variable it names (give its name, not the key)")
        raise UserError(Problem(Loc("--api-key-env"),
                                f"{shown} is not set or empty: put the Alma API key there"))
    return key


class Bars:
    """The pull's `Events`: a bar per folder on a terminal (records of Alma's count, or items
    done of a fan-out folder), one line per finished folder elsewhere; nothing when disabled."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self.progress = Progress(TextColumn("{task.description:<22}"), BarColumn(),
                                 TextColumn("{task.fields[text]}"), TimeElapsedColumn(),
                                 console=console, disable=not self.live)
        self.tasks: dict[str, TaskID] = {}
        self.totals: dict[str, int | None] = {}

    def update(self, folder: str, mark: Mark, total: int | None, of: str | None) -> None:
        if not self.enabled:
            return
        total = self.totals[folder] = total if total is not None else self.totals.get(folder)
        text = describe(mark, total, of)
        if not self.live:
            if mark.done:
                self.console.print(f"[dim]✓ {folder}: {text}[/dim]", highlight=False)
            return
        done = mark.cursor if of else mark.records
        if folder not in self.tasks:
            self.tasks[folder] = self.progress.add_task(folder, total=total, text=text)
        self.progress.update(self.tasks[folder], completed=done, text=text,
                             total=done if mark.done else total)

    def __enter__(self) -> Bars:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()


def describe(mark: Mark, total: int | None, of: str | None) -> str:
    """`1,234 of 5,000 records, 13 pages`, or `12 of 40 libraries, 312 records, 14 pages`."""
    records = f"{mark.records:,} record{'' if mark.records == 1 else 's'}"
    pages = f"{mark.pages:,} page{'' if mark.pages == 1 else 's'}"
    if of:
        done = f"{mark.cursor:,}{f' of {total:,}' if total is not None else ''} {of}"
        return f"{done}, {records}, {pages}"
    if total is not None and not mark.done:
        return f"{mark.records:,} of {total:,} records, {pages}"
    return f"{records}, {pages}"


@snapshot_app.command("pull")
@exit_codes
def snapshot_pull(
    base_url: Annotated[str, typer.Option(
        "--base-url", help="Alma's API root, e.g. https://api-eu.hosted.exlibrisgroup.com/almaws/v1"
    , metavar="<url>")],
    api_key_env: Annotated[str, typer.Option(
        "--api-key-env", help="The NAME of the environment variable holding the API key (the key "
                              "itself is never an option).", metavar="<variable>")],
    out: Annotated[Path, typer.Option("--out", help="Raw folder to write; an unfinished pull "
                                                    "there is continued.")],
    only: Annotated[str | None, typer.Option(
        "--only", help=f"Comma-separated folders to pull: {FOLDERS} (default: all but loans and "
                       "requests, which take calls per user).", metavar="<folders>")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for one answer.",
                                           metavar="<seconds>")] = 60.0,
) -> int:
    """Save Alma's REST API answers (read-only GETs) as a raw folder for `snapshot import`."""
    from simulator.importers.alma_api import pull, pull_http

    key = api_key(api_key_env)
    if not timeout > 0:
        raise UserError(Problem(Loc("--timeout"), "must be more than 0 seconds"))
    policy = replace(pull_http.DEFAULT, timeout=timeout)
    try:
        with Bars(term.err, not term.options["quiet"]) as bars:
            result = pull.pull(base_url, key, out, only, policy, bars)
    except pull.PullError as e:
        term.err.print(f"[red]error[/red] {escape(str(e).replace(key, '***'))}", highlight=False)
        if (out / PROGRESS).is_file():
            term.err.print(f"The pages saved so far stay in {escape(str(out))}; the same "
                           "command continues from them.", highlight=False)
        else:
            term.err.print("Nothing was saved.")
        return Exit.BAD_INPUT
    except KeyboardInterrupt:
        term.err.print(f"Interrupted: the same command continues from {escape(str(out))}.")
        raise
    warn([w.replace(key, "***") for w in result.warnings])
    report(result)
    return Exit.OK


def report(result: Result) -> None:
    """What was pulled, per folder, on stdout."""
    rows: list[tuple[str, ...]] = [(folder, f"{m.records:,}", f"{m.pages:,}")
                                   for folder, m in result.marks.items()]
    print_table("Pulled", ("folder", "records", "pages"), rows, right=("records", "pages"))
    out = escape(str(result.out))
    if result.reused:
        term.out.print(f"Read as they were: {', '.join(result.reused)}.")
    left = result.remaining or ""
    left = f"; Alma's count of today's calls left: {int(left):,}" if left.isdigit() else ""
    term.out.print(f"{out}: {result.calls:,} API calls{left}.")
    if result.complete:
        term.out.print(f"{out} is complete; import it with `cutover snapshot import alma-api`.")
    else:
        term.out.print(f"{out} still has unfinished folders of an earlier pull "
                       "(see .pull-progress.json); run that pull again to finish them.")
