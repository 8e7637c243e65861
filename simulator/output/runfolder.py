"""Writing a run folder (README, "Run folder") atomically: all files appear at once or not at
all."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator import __version__, db
from simulator.errors import Loc, Problem, UserError, display_path

CSV_MAX_ROWS = 1_048_576  # what a spreadsheet opens
CSV_MODES = ("auto", "always", "never")
MARKER = "summary.json"


def check_out(out: Path, marker: str = MARKER, what: str = "a run folder") -> None:
    """Refuse to replace a folder that is not an earlier run (a typo must not delete data);
    `marker` is the file that marks one, `what` names it in the message."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / marker).is_file())):
        raise UserError(Problem(Loc(display_path(out)),
                                f"--out exists and is not {what}; choose a new folder"))


LEDGER_IN_ORDER = ("select side, entity, record_key, outcome, rule_id, reason, cite, message "
                   "from ledger order by side, entity, record_key")
SECRET_OPTIONS = ("--pseudonymize",)


def redact(command: list[str]) -> list[str]:
    """The command line as recorded in manifests: secret option values replaced."""
    out = []
    hide = False
    for arg in command:
        name, eq, _ = arg.partition("=")
        if hide:
            out.append("***")
        elif eq and name in SECRET_OPTIONS:
            out.append(f"{name}=***")
        else:
            out.append(arg)
        hide = not eq and arg in SECRET_OPTIONS
    return out


def header(command: list[str] | None = None) -> dict[str, Any]:
    """What every manifest says of the run itself: tool, versions, command line, time."""
    return {
        "tool": "cutover-simulator",
        "tool_version": __version__,
        "duckdb_version": db.VERSION,
        "command": redact(command if command is not None else ["cutover", *sys.argv[1:]]),
        "timestamp": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }


def manifest(inputs: Any, pack: Any, command: list[str] | None = None) -> dict[str, Any]:
    """The header, the rule pack and the inputs of a run that read snapshots."""
    return {
        **header(command),
        "rule_pack_hash": pack.digest,
        "rule_pack_files": [display_path(p) for p in pack.files],
        "snapshots": {
            name: {
                "path": display_path(s.path),
                "location": str(s.path.resolve()),
                "institution": s.institution,
                "stage": s.stage,
                "taken_at": s.taken_at,
                "files": s.file_hashes(),
            }
            for name, s in inputs.snapshots().items()
        },
        "scenario": inputs.scenario.as_dict(),
    }


def write_run(
    con: db.Connection,
    out: Path,
    summary: dict[str, Any],
    extra: Callable[[Path], None] | None = None,
    csv_mode: str = "auto",
    ordered: str = LEDGER_IN_ORDER,
    ledger: str = "ledger",
) -> Path:
    """Ledger (Parquet, and CSV when it fits), summary.json and whatever `extra` adds, written
    atomically (`write_folder`). `ordered`: the query giving the rows of the ledger view
    `ledger` in their order (by side, entity and record key)."""
    def fill(tmp: Path) -> None:
        con.execute(f"copy ({ordered}) to {db.literal(str(tmp / 'ledger.parquet'))} "
                    "(format parquet, compression zstd)")
        rows = int(con.one(f"select count(*) from {db.ident(ledger)}"))
        if csv_mode == "always" or (csv_mode == "auto" and rows <= CSV_MAX_ROWS):
            con.execute(f"copy ({ordered}) to {db.literal(str(tmp / 'ledger.csv'))} "
                        "(format csv, header true)")
        done = {**summary, "ledger": {"rows": rows, "csv": (tmp / "ledger.csv").exists()}}
        (tmp / MARKER).write_text(json.dumps(done, indent=2, sort_keys=True, default=str) + "\n",
                                  encoding="utf-8")
        if extra:
            extra(tmp)

    return write_folder(out, fill)


def write_folder(out: Path, fill: Callable[[Path], None], marker: str = MARKER,
                 what: str = "a run folder") -> Path:
    """A result folder written atomically: all files appear at once or not at all.

    `fill` writes into a hidden temp folder beside `out`, renamed into place; an earlier run at
    `out` is moved aside first and deleted only once the new one is in place. On any failure
    the temp folder and the parent folders this call created are removed, and an earlier run
    is left as it was. `fill` must write `marker` (a run's `summary.json`), which marks the
    folder as one a later run may replace; `what` names such a folder in messages.
    """
    check_out(out, marker, what)
    created = _missing_parents(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a run folder is for sharing
        fill(tmp)
        if not (tmp / marker).is_file():
            raise RuntimeError(f"{marker} was not written")
        _replace(tmp, out)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in created:  # innermost first; only if still empty
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return out


def _missing_parents(out: Path) -> list[Path]:
    """The parent folders of `out` that do not exist yet, innermost first."""
    missing = []
    for parent in out.absolute().parents:
        if parent.exists():
            break
        missing.append(parent)
    return missing


def _replace(new: Path, out: Path) -> None:
    """Rename `new` to `out`; an earlier run at `out` is kept until the rename has succeeded."""
    if not out.exists():
        new.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    old.rmdir()  # only the unique name is wanted: rename needs a free target
    out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
