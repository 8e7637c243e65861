"""Writing a run folder (docs/formats/run-folder.md) atomically: all files appear at once or not at
all."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import glob
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from simulator import __version__, db
from simulator.errors import Loc, Problem, UserError, display_path
from simulator.output import csvfile
from simulator.privacy import shown_emails

CSV_MAX_ROWS = 1_048_576  # what a spreadsheet opens
CSV_MODES = ("auto", "always", "never")
SUMMARY = "summary.json"
# The file only this tool writes into a run, diff or what-if folder (docs/formats/run-folder.md),
# with its signature: a folder is replaced only when it holds this marker.
MARKER = ".cutover-run"
SIGNATURE = "cutover-simulator run folder"
# In a temp folder while its writer runs: the writer's process and machine (`remove_leftovers`).
WRITING = ".cutover-writing"
Input = tuple[str, Path | None]  # the option (or role) naming an input, and its path


def check_out(out: Path, marker: str = MARKER, what: str = "a run folder", *,
              folders: Iterable[Input] = (), files: Iterable[Input] = ()) -> None:
    """Refuse an --out that is, is inside or holds one of the input `folders`, or holds one of
    the input `files` (writing there would change or delete an input); then refuse to replace a
    folder that `marker` does not mark as one this tool wrote (a typo must not delete data),
    and an --out that cannot be created (`not_creatable`). `what` names such a folder in the
    message."""
    shown = display_path(out)
    overlaps = _overlaps(out, folders, files)
    if overlaps:
        raise UserError([Problem(Loc(shown), message) for message in overlaps])
    why = _not_replaceable(out, marker, what)
    if not why and (reason := not_creatable(out)):
        why = f"{CANNOT_WRITE}{reason}"
    if why:
        raise UserError(Problem(Loc(shown), why))


def check_run_out(out: Path, inputs: Any, rules: Iterable[Path] = (),
                  folders: Iterable[Input] = (), files: Iterable[Input] = ()) -> None:
    """`check_out` for a command on opened inputs (`inputs.bundle.Inputs`): their snapshot
    folders, the rule pack layers `rules`, the scenario file, and the command's own `folders`
    and `files`."""
    given: list[Input] = [(f"--{name}", s.path) for name, s in inputs.snapshots().items()]
    given += [("--rules", path) for path in rules]
    scenario = Path(inputs.scenario.source or "")
    used = [("--scenario", scenario)] if scenario.is_file() else []
    check_out(out, folders=[*given, *folders], files=[*used, *files])


_OUTSIDE = "choose a folder outside the inputs"
CANNOT_WRITE = "cannot write --out: "


def _overlaps(out: Path, folders: Iterable[Input], files: Iterable[Input]) -> list[str]:
    found = []
    for role, path in folders:
        how = _relation(out, path) if path is not None else None
        if path is not None and how is not None:
            replaced = " and would replace it" if how == "holds" else ""
            found.append(f"--out {how} the input folder {display_path(path)} ({role})"
                         f"{replaced}: {_OUTSIDE}")
    for role, path in files:
        if path is not None and _relation(out, path) in ("is", "holds"):
            found.append(f"--out holds the input file {display_path(path)} ({role}) and would "
                         f"replace it: {_OUTSIDE}")
    return found


def _relation(out: Path, path: Path) -> str | None:
    """How `out` stands to `path` ("is", "is inside", "holds"), as given or with links
    resolved; None when apart."""
    outs, paths = _forms(out), _forms(path)
    if outs & paths:
        return "is"
    if any(p in o.parents for o in outs for p in paths):
        return "is inside"
    if any(o in p.parents for o in outs for p in paths):
        return "holds"
    return None


def _forms(path: Path) -> set[Path]:
    forms = {Path(os.path.abspath(path))}
    with contextlib.suppress(OSError, RuntimeError):  # a link loop: the path as given
        forms.add(path.resolve())
    return forms


def _not_replaceable(out: Path, marker: str, what: str) -> str | None:
    """Why `out` may not be replaced, or None (absent, empty, or marked by `marker`; a run
    folder's marker must also carry the signature)."""
    refused = f"--out exists and is not {what}; choose a new folder"
    if not out.exists():
        return None
    if not out.is_dir():
        return refused
    entries = {p.name for p in out.iterdir()}
    if not entries:
        return None
    if marker != MARKER:
        return None if marker in entries else refused
    data = _read_json(out / MARKER)
    if isinstance(data, dict) and data.get("marker") == SIGNATURE:
        return None
    if MARKER in entries:
        return f"{refused} (its {MARKER} was not written by cutover)"
    if SUMMARY in entries:
        return (f"{refused} (it has {SUMMARY} but no {MARKER} marker: if an earlier version of "
                "cutover wrote it, delete it yourself)")
    return refused


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


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


def manifest(inputs: Any, pack: Any, command: list[str] | None = None,
             show_pii: bool = False) -> dict[str, Any]:
    """The header, the rule pack and the inputs of a run that read snapshots (the scenario's
    addresses masked unless `show_pii`)."""
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
        "scenario": shown_scenario(inputs.scenario, show_pii),
        # What the command line warned of on opening them (a file ignored, a header misspelt):
        # the report shows it to whoever reads the run, not only to who ran it.
        "warnings": inputs.warnings(),
    }


def shown_scenario(scenario: Any, show_pii: bool) -> dict[str, Any]:
    """A scenario (`inputs.scenario.Scenario`) as manifests record it: `allowed_emails` masked
    unless `show_pii`."""
    out: dict[str, Any] = scenario.as_dict()
    out["allowed_emails"] = shown_emails(out["allowed_emails"], show_pii)
    return out


def write_run(
    con: db.Connection,
    out: Path,
    summary: dict[str, Any],
    extra: Callable[[Path], None] | None = None,
    csv_mode: str = "auto",
    ordered: str = LEDGER_IN_ORDER,
    ledger: str = "ledger",
    ledger_file: Path | None = None,
) -> Path:
    """Ledger (Parquet, and CSV when it fits), summary.json and whatever `extra` adds, written
    atomically (`write_folder`). `ordered`: the query giving the rows of the ledger view
    `ledger` in their order (by side, entity and record key). `ledger_file`: a Parquet file
    holding exactly those rows, in that order, copied as it is instead."""
    def fill(tmp: Path) -> None:
        if ledger_file is not None:
            shutil.copyfile(ledger_file, tmp / "ledger.parquet")
        else:
            con.execute(f"copy ({ordered}) to {db.literal(str(tmp / 'ledger.parquet'))} "
                        "(format parquet, compression zstd)")
        rows = int(con.one(f"select count(*) from {db.ident(ledger)}"))
        if csv_mode == "always" or (csv_mode == "auto" and rows <= CSV_MAX_ROWS):
            csvfile.copy_csv(con, ordered, tmp / "ledger.csv")
        done = {**summary, "ledger": {"rows": rows, "csv": (tmp / "ledger.csv").exists()}}
        (tmp / SUMMARY).write_text(json.dumps(done, indent=2, sort_keys=True, default=str) + "\n",
                                  encoding="utf-8")
        if extra:
            extra(tmp)

    return write_folder(out, fill)


def write_folder(out: Path, fill: Callable[[Path], None], marker: str = MARKER,
                 what: str = "a run folder") -> Path:
    """A result folder written atomically: all files appear at once or not at all.

    `fill` writes into a hidden temp folder beside `out`, renamed into place; an earlier run at
    `out` is moved aside first and deleted only once the new one is in place. On any failure,
    SIGINT or SIGTERM included, the temp folder and the parent folders this call created are
    removed, and an earlier run is left as it was; temp folders that killed writers left beside
    `out` are removed first (`remove_leftovers`). A run folder (`marker` MARKER) needs
    `summary.json` from `fill` and gets MARKER from here; another `marker`
    (an imported snapshot's) is written by `fill`. A full, read-only or unwritable disk, and
    any error making or renaming the folder, is bad usage naming `out` (UserError). `what`
    names such a folder in messages.
    """
    check_out(out, marker, what)
    created = _missing_parents(out)
    tmp: Path | None = None
    filling = False
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(out)
        with signals_held():  # a signal between mkdtemp and `tmp =` would leave it behind
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        _claim(tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a run folder is for sharing
        filling = True
        fill(tmp)
        _finish(tmp, marker)
        filling = False
        with signals_held():
            _replace(tmp, out)
    except BaseException as e:
        with signals_held():
            _discard(tmp, created)
        fault = _write_fault(out, tmp, e) if filling else _creation_fault(out, e)
        if fault is not None:
            raise fault from None
        raise
    return out


def _finish(tmp: Path, marker: str) -> None:
    """Check what `fill` wrote, and mark the folder as this tool's (a run folder)."""
    needed = SUMMARY if marker == MARKER else marker
    if not (tmp / needed).is_file():
        raise RuntimeError(f"{needed} was not written")
    _pause_for_tests()
    (tmp / WRITING).unlink()
    if marker == MARKER:
        (tmp / MARKER).write_text(json.dumps({"marker": SIGNATURE, "format": 1}) + "\n",
                                  encoding="utf-8")


def _pause_for_tests() -> None:
    """A test hook: with CUTOVER_TEST_PAUSE_WRITE=SECONDS the write waits that long once the
    temp folder is filled, so a test can signal the command mid-write (tests/
    test_hostile_inputs.py). Never set in real use."""
    seconds = os.environ.get("CUTOVER_TEST_PAUSE_WRITE")
    if seconds:
        time.sleep(float(seconds))


def _discard(tmp: Path | None, created: list[Path]) -> None:
    """The temp folder, and the parent folders made for `out` while still empty."""
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    for folder in created:  # innermost first
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            break


def _claim(folder: Path) -> None:
    """Mark `folder` as being written by this process on this machine."""
    (folder / WRITING).write_text(
        json.dumps({"pid": os.getpid(), "host": socket.gethostname()}) + "\n", encoding="utf-8")


def remove_leftovers(out: Path) -> None:
    """Remove the temp folders beside `out` that writers killed mid-write (SIGKILL, a power
    cut) left behind: those whose WRITING file names a process of this machine that no longer
    runs. A live writer's folder, another machine's and anything unmarked are left alone."""
    host = socket.gethostname()
    for folder in out.parent.glob(f".{glob.escape(out.name)}.*"):
        writer = _read_json(folder / WRITING)
        if isinstance(writer, dict) and writer.get("host") == host \
                and not _alive(writer.get("pid")):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return True  # unknown: leave its folder alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


_DISK_HINTS = {
    errno.ENOSPC: "free some space or choose another --out",
    errno.EDQUOT: "free some space or choose another --out",
    errno.EROFS: "choose another --out",
    errno.EACCES: "check the folder's permissions or choose another --out",
    errno.EPERM: "check the folder's permissions or choose another --out",
}


def _write_fault(out: Path, tmp: Path | None, error: BaseException) -> UserError | None:
    """A disk at `out` that is full, read-only or not writable, as bad usage naming --out; None
    for any other error, and for a file elsewhere (an input DuckDB reads, its spill folder)."""
    if isinstance(error, OSError) and error.errno in _DISK_HINTS:
        if error.filename is not None and not _near(os.fsdecode(error.filename), out):
            return None
        reason, code = error.strerror or os.strerror(error.errno), error.errno
    elif (found := db.disk_problem(error)) and tmp is not None and str(tmp) in str(error):
        reason, code = found
    else:
        return None
    return UserError(Problem(Loc(display_path(out)),
                             f"{CANNOT_WRITE}{reason}; {_DISK_HINTS[code]}"))


def _creation_fault(out: Path, error: BaseException) -> UserError | None:
    """An OSError while making `out`, its parents or its temp folder, or renaming it into place
    (a race with another process since `check_out`), as bad usage naming --out and why, never
    the temp folder's name; None for any other error."""
    if not isinstance(error, OSError):
        return None
    reason = not_creatable(out) or (f"{error.strerror or type(error).__name__}; "
                                     f"{_DISK_HINTS.get(error.errno or 0, 'choose another --out')}")
    return UserError(Problem(Loc(display_path(out)), f"{CANNOT_WRITE}{reason}"))


def not_creatable(out: Path) -> str | None:
    """Why `out` cannot be made (with what to do), or None: a part of its path that is not a
    folder, or a nearest existing folder that takes no new folder (permissions, a read-only or
    virtual file system). That folder is tried by making and removing an empty folder in it:
    permission bits do not tell (root ignores them; /proc refuses root too)."""
    folder = Path(os.path.abspath(out)).parent
    while not os.path.isdir(folder):
        if os.path.lexists(folder):
            kind = "a file" if os.path.isfile(folder) else "neither a file nor a folder"
            return f"{display_path(folder)} is {kind}, not a folder; choose another --out"
        folder = folder.parent
    try:
        with signals_held():
            os.rmdir(tempfile.mkdtemp(prefix=".cutover-check.", dir=folder))
    except OSError as e:
        return _refused(display_path(folder), e)
    return None


def _refused(folder: str, error: OSError) -> str:
    """Why no folder can be made in `folder`, in plain words, with what to do."""
    hint = _DISK_HINTS.get(error.errno or 0, "choose another --out")
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to make a folder in {folder}; {hint}"
    if error.errno == errno.EROFS:
        return f"{folder} is on a read-only file system; {hint}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left on the disk of {folder}; {hint}"
    if error.errno == errno.ENOENT:  # /proc: it exists, but takes no new folder
        return f"{folder} does not take new folders; {hint}"
    return f"cannot make a folder in {folder}: {error.strerror or error}; {hint}"


def _near(name: str, out: Path) -> bool:
    """Whether the file `name` is beside `out` or one of the folders made for it."""
    path, parent = os.path.abspath(name), str(out.parent.absolute())
    return path.startswith(parent) or parent.startswith(path)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (a rename or a cleanup is never cut
    short), then act as they would have. Only the main thread handles signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    handlers = {s: signal.signal(s, lambda signum, frame: pending.append(signum))
                for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
        for signum in pending[:1]:
            handler = handlers[signal.Signals(signum)]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


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
        _claim(old)  # removed by a later run if this one dies before deleting it
        new.rename(out)
    except BaseException:
        (old / WRITING).unlink(missing_ok=True)
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
