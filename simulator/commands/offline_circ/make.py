"""`cutover offline-circ make`: a CSV of transactions turned into an offline circulation file
(docs/offline-circ.md, "Writing a file"). Every row the file cannot hold is refused, located,
before anything is written; the file appears whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from simulator.errors import Loc, Problem, UserError, display_path
from simulator.inputs import offline_circ_csv
from simulator.output import runfolder

LINE_ENDS = {"crlf": "\r\n", "lf": "\n"}


def make(source: Path, out: Path, line_end: str = "crlf") -> int:
    """Write `out` from the transactions of `source`; the number of lines written."""
    if line_end not in LINE_ENDS:
        raise UserError(Problem(Loc("--line-end"),
                                f"must be one of {', '.join(LINE_ENDS)}, not '{line_end}'"))
    shown = display_path(out)
    if out.exists() or out.is_symlink():
        raise UserError(Problem(Loc(shown), "--out exists: choose a new file (a file is never "
                                            "overwritten)"))
    if why := runfolder.not_creatable(out):
        raise UserError(Problem(Loc(shown), f"{runfolder.CANNOT_WRITE}{why}"))
    rows = offline_circ_csv.read(source)
    text = offline_circ_csv.file_text(rows, LINE_ENDS[line_end])
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
        os.chmod(tmp, 0o666 & ~_umask())
        os.link(tmp, out)  # fails, rather than replaces, when `out` appeared meanwhile
    except FileExistsError:
        raise UserError(Problem(Loc(shown), "--out exists: choose a new file")) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return len(rows)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
