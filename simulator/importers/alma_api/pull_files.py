"""The files `cutover snapshot pull` writes: pages put in place whole, and the progress file.

A page is written to `.<name>.part` beside its place and renamed into place, so import (which
reads `*.json` and `*.xml`) never sees half a page. `RAW_DIR/.pull-progress.json` records, per
folder, how far the pull got; it is rewritten (the same way) after every saved page and removed
when every folder it lists is complete, so a finished raw folder is exactly the contract's.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from simulator.errors import Loc, Problem, UserError, display_path

PROGRESS = ".pull-progress.json"
PART = ".part"
UNSAFE = set('/\\:*?"<>|')  # characters no file name may hold on every system


@dataclass
class Mark:
    """How far one folder got. `cursor`: pages saved (a list endpoint) or items done (a fan-out
    endpoint); `offset`: the next record to ask for; `pages` and `records`: saved so far."""

    cursor: int = 0
    offset: int = 0
    pages: int = 0
    records: int = 0
    done: bool = False


@dataclass
class State:
    """The progress file of one raw folder."""

    out: Path
    base_url: str
    marks: dict[str, Mark] = field(default_factory=dict)
    resumed: bool = False  # the progress file was there when the pull began

    @classmethod
    def open(cls, out: Path, base_url: str) -> State:
        """The progress file of `out`, or a fresh state; one of another base URL is refused."""
        path = out / PROGRESS
        if not path.is_file():
            return cls(out, base_url)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            marks = {name: Mark(**m) for name, m in data["folders"].items()}
            started = str(data["base_url"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UserError(Problem(Loc(display_path(path)), "not a progress file of cutover "
                                    "snapshot pull; remove it (and the folders it covers) to "
                                    "start again")) from None
        if started != base_url:
            raise UserError(Problem(Loc(display_path(out)), f"--out holds an unfinished pull "
                                    f"from {started}, not {base_url}: continue it with that "
                                    "--base-url, or pull into a new folder"))
        return cls(out, base_url, marks, resumed=True)

    def save(self) -> None:
        data = {"base_url": self.base_url,
                "folders": {name: asdict(m) for name, m in self.marks.items()}}
        write_atomic(self.out / PROGRESS, (json.dumps(data, indent=1) + "\n").encode(),
                     sync=False)

    def discard(self, folder_too: bool) -> None:
        """Remove the progress file (and the raw folder, if this pull made it and it is
        empty): for a pull that stopped before its first page."""
        (self.out / PROGRESS).unlink(missing_ok=True)
        if folder_too and self.out.is_dir() and not any(self.out.iterdir()):
            self.out.rmdir()

    def finish(self) -> bool:
        """Remove the progress file if every folder is complete; True when it was removed."""
        if all(m.done for m in self.marks.values()):
            (self.out / PROGRESS).unlink(missing_ok=True)
            return True
        return False


def write_atomic(path: Path, data: bytes, sync: bool = True) -> None:
    """Write `data` to `path` through a `.part` file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}{PART}")
    with open(part, "wb") as f:
        f.write(data)
        if sync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(part, path)


def clear_parts(folder: Path) -> None:
    """Remove the `.part` files an interrupted pull left in `folder`."""
    if folder.is_dir():
        for part in folder.glob(f".*{PART}"):
            part.unlink(missing_ok=True)


def holds_files(folder: Path) -> bool:
    """True when `folder` has a file other than a `.part` one."""
    return folder.is_dir() and any(p.is_file() and not p.name.endswith(PART)
                                   for p in folder.iterdir())


def page_name(number: int) -> str:
    """The file of a list endpoint's page `number` (1-based); names sort in page order."""
    return f"page-{number:06d}.json"


def item_name(name: str, is_data: bool) -> str | None:
    """The file of a fan-out item: `<name>.json`, or None when `name` (data import reads)
    cannot be a file name; a free name is percent-encoded where it must be."""
    if not is_data:
        safe = quote(name, safe="@+-_.~ ")
        safe = "%2E" + safe[1:] if safe.startswith(".") else safe
        if len(safe) > 200:
            safe = f"{safe[:150]}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"
        return f"{safe}.json"
    if (not name or name.startswith(".") or UNSAFE & set(name)
            or any(ord(c) < 32 for c in name) or len(name.encode()) > 200):
        return None
    return f"{name}.json"
