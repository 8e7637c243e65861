"""Hostile and broken input, and a hostile environment (docs/formats/bad-input.md,
docs/formats/exit-codes.md and docs/formats/run-folder.md): every case builds one bad input in a
small institution, runs one command line and expects its exit code and message, no traceback,
and every file under the institution as it was (nothing written, nothing replaced, no temporary
folder left).

A new input type joins the suite by adding a `Case` to `CASES`: its name, how to build the bad
input (a function of the institution's folder and a MonkeyPatch, for faults of the environment),
the command line, the exit code and the message fragments expected. Each case runs in-process
under an alarm, so an input that makes the tool hang fails the case instead of the test run.
Signals during the write need a real process: they are tested below the cases, on the sample.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.inputs import yamlsrc

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
ROW = "2026-02-01T10:00:00"
MANIFEST = "format_version: 1\ninstitution: TST\nstage: {stage}\ntaken_at: 2026-03-02T07:00:00Z\n"
SCENARIO = ("institution: TST\ndates:\n  freeze_start: 2026-03-02\n"
            "  clean_data_delivered: 2026-03-11\n  go_live: 2026-03-16\n")
USERS = ("primary_id,record_type,origin,internal_id,created_at,updated_at\n"
         f"S1,STAFF,MIGRATED,I-2,{ROW},{ROW}\n")
ROLES = "primary_id,role_type,scope,status\nS1,Cataloger,TST,ACTIVE\n"
PATRONS = "primary_id,user_group\nP1,UNDERGRAD\n"
INSTITUTION: dict[str, str] = {
    "freeze/snapshot.yaml": MANIFEST.format(stage="freeze"),
    "freeze/users.csv": USERS,
    "freeze/user_roles.csv": ROLES,
    "extract/snapshot.yaml": MANIFEST.format(stage="extract"),
    "extract/patrons.csv": PATRONS,
    "post/snapshot.yaml": MANIFEST.format(stage="cutover"),
    "post/users.csv": USERS,
    "post/user_roles.csv": ROLES,
    "scenario.yaml": SCENARIO,
}
INPUTS = ("--pre", "freeze", "--extract", "extract", "--scenario", "scenario.yaml")
PREDICT = ("predict", *INPUTS)
VERIFY = ("verify", *INPUTS, "--post", "post")


# -- building bad input --------------------------------------------------------------------------

def alias_bomb(head: str = "", levels: int = 9, width: int = 9) -> str:
    """The billion laughs: each level lists the one before `width` times (9 levels: 9**9 values
    once expanded, from a file of a few hundred bytes)."""
    lines = [head.rstrip("\n"), "x0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(line for line in lines if line) + "\n"


def put(name: str, text: str | bytes) -> Callable[[Path, pytest.MonkeyPatch], None]:
    """A builder writing `text` to the institution's file `name` (folders made as needed)."""
    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        path.write_bytes(data)
    return build


def nothing(root: Path, mp: pytest.MonkeyPatch) -> None:
    """No bad input: the case is in the command line."""


def both(*builders: Callable[[Path, pytest.MonkeyPatch], None]
         ) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        for b in builders:
            b(root, mp)
    return build


def predicted(out: str = "pred") -> Callable[[Path, pytest.MonkeyPatch], None]:
    """A real predict run of the institution at `out`, as this version writes it."""
    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        result = invoke([*PREDICT, "--out", out])
        assert result.exit_code in (0, 1), result.output
    return build


def symlink(name: str, target: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        (root / name).unlink(missing_ok=True)
        (root / name).symlink_to(target)
    return build


def truncated(name: str, keep: int = 100) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        path = root / name
        path.write_bytes(path.read_bytes()[:keep])
    return build


def no_run_marker(folder: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    """A run folder as versions before the marker wrote them."""
    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        (root / folder / ".cutover-run").unlink(missing_ok=True)
    return build


def moved(src: str, dst: str) -> Callable[[Path, pytest.MonkeyPatch], None]:
    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        (root / src).rename(root / dst)
    return build


def fault(errno_: int) -> Callable[[Path, pytest.MonkeyPatch], None]:
    """The disk at --out refuses the temporary folder (read-only, full, no permission)."""
    import tempfile

    def build(root: Path, mp: pytest.MonkeyPatch) -> None:
        def refuse(*args: Any, dir: Any = None, **kwargs: Any) -> str:
            raise OSError(errno_, os.strerror(errno_), str(dir))
        mp.setattr(tempfile, "mkdtemp", refuse)
    return build


def duckdb_disk_full(root: Path, mp: pytest.MonkeyPatch) -> None:
    """DuckDB's COPY of the ledger meets a full disk."""
    from simulator import db

    real = db.Connection.execute

    def execute(self: Any, sql: str, params: Any = None) -> Any:
        target = re.search(r" to '([^']+)'", sql)
        if sql.startswith("copy") and target:
            raise duckdb.IOException('IO Error: Could not write file "' + target.group(1) +
                                     '": No space left on device')
        return real(self, sql, params)
    mp.setattr(db.Connection, "execute", execute)


def python_disk_full(root: Path, mp: pytest.MonkeyPatch) -> None:
    """The summary cannot be written: the disk is full (an OSError without a file name, as
    `write` raises it)."""
    real = Path.write_text

    def write_text(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.name == "summary.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, *args, **kwargs)
    mp.setattr(Path, "write_text", write_text)


# -- the cases -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path, pytest.MonkeyPatch], None]
    args: tuple[str, ...]
    code: int = 2
    fragments: tuple[str, ...] = ()
    seconds: float = 20.0  # the alarm: a case still running after this fails
    writes: bool = False  # the command is expected to write its --out (a tolerated oddity)


BOMB = alias_bomb()
OUT = ("--out", "run")
CASES = [
    # 1. YAML: alias bombs, recursive aliases, deep nesting, many aliases, huge files.
    Case("yaml-bomb-scenario", put("scenario.yaml", alias_bomb(SCENARIO)), (*PREDICT, *OUT),
         fragments=("scenario.yaml:12:5: ", "aliases expand this value to more than 1,000,000"),
         seconds=5),
    Case("yaml-bomb-snapshot-manifest",
         put("freeze/snapshot.yaml", alias_bomb(MANIFEST.format(stage="freeze"))),
         (*PREDICT, *OUT), fragments=("freeze/snapshot.yaml:11:5: ", "aliases expand"),
         seconds=5),
    Case("yaml-bomb-rule-pack", put("pack/bomb.yaml", BOMB), (*PREDICT, "--rules", "pack", *OUT),
         fragments=("pack/bomb.yaml:7:5: ", "aliases expand"), seconds=5),
    Case("yaml-bomb-variant", put("variant.yaml", alias_bomb("name: v")),
         ("whatif", *INPUTS, "--variant", "variant.yaml", *OUT),
         fragments=("variant.yaml:8:5: ", "aliases expand"), seconds=5),
    Case("yaml-bomb-waivers", put("waivers.yaml", BOMB),
         ("readiness", *INPUTS, "--waivers", "waivers.yaml", *OUT),
         fragments=("waivers.yaml:7:5: ", "aliases expand"), seconds=5),
    Case("yaml-bomb-budgets", put("budgets.yaml", BOMB),
         (*VERIFY, "--budgets", "budgets.yaml", *OUT),
         fragments=("budgets.yaml:7:5: ", "aliases expand"), seconds=5),
    Case("yaml-recursive-alias", put("scenario.yaml", SCENARIO + "loop: &l [1, *l]\n"),
         (*PREDICT, *OUT), fragments=("scenario.yaml:6:14: ", "refers to a value that holds it")),
    Case("yaml-nested-too-deep", put("scenario.yaml", SCENARIO + "deep: " + "[" * 500 + "]" * 500),
         (*PREDICT, *OUT), fragments=("scenario.yaml:6:", "nested more than 64 levels")),
    Case("yaml-too-many-aliases",
         put("scenario.yaml", SCENARIO.replace("institution: TST\n", "institution: &i TST\n")
             + "allowed_emails: [" + ", ".join(["*i"] * 1001) + "]\n"),
         (*PREDICT, *OUT), fragments=("scenario.yaml:6:", "more than 1,000 aliases")),
    Case("yaml-file-too-large",
         put("scenario.yaml", SCENARIO + "# padding\n" * 900_000), (*PREDICT, *OUT),
         fragments=("scenario.yaml: ", "larger than 8 MiB"), seconds=5),
    # 2. --out replaces only a folder the tool marked as its run folder.
    Case("out-has-summary-json-and-other-files",
         both(put("thesis/summary.json", "{}"), put("thesis/chapter1.md", "# One")),
         (*PREDICT, "--out", "thesis"), fragments=("thesis: --out exists and is not a run folder",
                                                   "no .cutover-run marker")),
    Case("out-has-a-forged-marker",
         both(put("thesis/.cutover-run", "{}"), put("thesis/summary.json", "{}"),
              put("thesis/notes.txt", "mine")),
         (*PREDICT, "--out", "thesis"), fragments=("thesis: --out exists and is not a run folder",
                                                   "not written by cutover")),
    Case("out-is-a-run-folder-of-an-earlier-version",
         both(predicted("old"), no_run_marker("old")), (*PREDICT, "--out", "old"),
         fragments=("old: --out exists and is not a run folder", "delete it yourself")),
    # 3. --out equal to, inside or above an input.
    Case("whatif-out-inside-a-variants-rules",
         both(put("v/variant.yaml", "name: v\nrules: [../layer]\n"),
              put("layer/extra.yaml", "entity: users\nside: alma\nrules: []\n")),
         ("whatif", *PREDICT[1:], "--variant", "v/variant.yaml", "--out", "layer/run"),
         fragments=("layer/run: --out is inside the input folder layer (rules of variant v)",)),
    Case("import-alma-api-out-inside-the-raw-folder",
         put("raw/libraries/page-1.json", '{"library": [{"code": "MAIN", "name": "Main"}]}'),
         ("snapshot", "import", "alma-api", "raw", "--stage", "freeze", "--institution", "TST",
          "--out", "raw/snap"),
         fragments=("raw/snap: --out is inside the input folder raw (RAW_DIR)",)),
    Case("import-flat-out-holds-the-mapping",
         both(put("legacy/libs.csv", "CODE,NAME\nMAIN,Main\n"),
              put("legacy/mapping.yaml", "format_version: 1\ntables:\n  libraries:\n"
                                         "    file: libs.csv\n    columns: {code: CODE}\n")),
         ("snapshot", "import", "flat", "legacy", "--mapping", "legacy/mapping.yaml",
          "--institution", "TST", "--out", "legacy"),
         fragments=("legacy: --out is the input folder legacy (FILES_DIR)",)),
    Case("generate-out-has-a-forged-marker",
         both(put("gen/generated.json", "{}\n"), put("gen/precious.txt", "keep me\n")),
         ("generate", "--out", "gen", "--users", "100", "--institutions", "1"),
         fragments=("gen: --out exists and is not a folder written by `cutover generate`",)),
    Case("out-inside-pre", lambda root, mp: None, (*PREDICT, "--out", "freeze/run"),
         fragments=("freeze/run: --out is inside the input folder freeze (--pre)",)),
    Case("out-is-extract", lambda root, mp: None, (*PREDICT, "--out", "extract"),
         fragments=("extract: --out is the input folder extract (--extract)",)),
    Case("out-holds-pre",
         both(predicted("box"), moved("freeze", "box/freeze")),
         ("predict", "--pre", "box/freeze", "--extract", "extract", "--scenario",
          "scenario.yaml", "--out", "box"),
         fragments=("box: --out holds the input folder box/freeze (--pre)",)),
    Case("out-inside-rules", put("pack/extra.yaml", "entity: users\nside: alma\nrules: []\n"),
         (*PREDICT, "--rules", "pack", "--out", "pack/run"),
         fragments=("pack/run: --out is inside the input folder pack (--rules)",)),
    Case("verify-out-inside-post", lambda root, mp: None, (*VERIFY, "--out", "post/run"),
         fragments=("post/run: --out is inside the input folder post (--post)",)),
    Case("verify-out-is-the-prediction", predicted(),
         ("verify", "--prediction", "pred", "--post", "post", "--out", "pred"),
         fragments=("pred: --out is the input folder pred (--prediction)",)),
    Case("readiness-out-holds-waivers", put("w/waivers.yaml", "waivers: []\n"),
         ("readiness", *INPUTS, "--waivers", "w/waivers.yaml", "--out", "w"),
         fragments=("w: --out holds the input file w/waivers.yaml (--waivers)",)),
    Case("whatif-out-holds-variant", put("v/variant.yaml", "name: v\n"),
         ("whatif", *INPUTS, "--variant", "v/variant.yaml", "--out", "v"),
         fragments=("v: --out holds the input file v/variant.yaml (--variant)",)),
    Case("diff-out-inside-a-run", predicted(), ("diff", "pred", "pred", "--out", "pred/diff"),
         fragments=("pred/diff: --out is inside the input folder pred (one of the runs "
                    "compared)",)),
    # 4. --out that cannot be made: a file in its path, checked by every command before work.
    *[Case(f"{name}-out-under-a-file", both(put("notes.txt", "hi\n"), build),
           (*args, "--out", "notes.txt/run"),
           fragments=("notes.txt/run: cannot write --out: notes.txt is a file, not a folder; "
                      "choose another --out",))
      for name, args, build in [
          ("predict", PREDICT, nothing),
          ("verify", VERIFY, nothing),
          ("readiness", ("readiness", *INPUTS), nothing),
          ("whatif", ("whatif", *INPUTS, "--variant", "v.yaml"), put("v.yaml", "name: v\n")),
          ("diff", ("diff", "pred", "pred"), predicted()),
          ("import-alma-api", ("snapshot", "import", "alma-api", "raw", "--stage", "freeze",
                               "--institution", "TST"),
           put("raw/libraries/page-1.json", '{"library": []}')),
          ("import-flat", ("snapshot", "import", "flat", "legacy", "--mapping", "mapping.yaml",
                           "--institution", "TST"),
           both(put("legacy/libs.csv", "CODE,NAME\nMAIN,Main\n"),
                put("mapping.yaml", "format_version: 1\ntables:\n  libraries:\n"
                                    "    file: libs.csv\n    columns: {code: CODE}\n"))),
          ("demo", ("demo",), nothing),
      ]],
    # 9. The environment: unreadable inputs, a read-only or full disk, too little memory.
    Case("symlink-loop-as-table-file", symlink("freeze/users.csv", "users.csv"),
         (*PREDICT, *OUT),
         fragments=("freeze/users.csv: cannot read: Too many levels of symbolic links",)),
    Case("symlink-loop-as-stray-file", symlink("freeze/loop", "loop"), (*PREDICT, *OUT),
         code=0, writes=True, fragments=("freeze/loop: not a table file",)),
    Case("truncated-prediction-ledger", both(predicted(), truncated("pred/ledger.parquet")),
         ("verify", "--prediction", "pred", "--post", "post", *OUT),
         fragments=("pred/ledger.parquet: cannot read the prediction's ledger",)),
    Case("memory-limit-too-small", lambda root, mp: None,
         (*PREDICT, "--memory-limit", "1MB", *OUT),
         fragments=("DuckDB ran out of memory within its limit of 1MB", "--memory-limit")),
    Case("out-on-read-only-disk", fault(errno.EROFS), (*PREDICT, *OUT),
         fragments=("run: cannot write --out: . is on a read-only file system; choose another "
                    "--out",)),
    Case("out-without-permission", fault(errno.EACCES), (*PREDICT, *OUT),
         fragments=("run: cannot write --out: no permission to make a folder in .; check the "
                    "folder's permissions or choose another --out",)),
    Case("out-disk-full-duckdb", duckdb_disk_full, (*PREDICT, *OUT),
         fragments=("run: cannot write --out: No space left on device",
                    "free some space")),
    Case("out-disk-full-python", python_disk_full, (*PREDICT, *OUT),
         fragments=("run: cannot write --out: No space left on device",)),
]


class TooSlow(BaseException):
    """Raised by the alarm: not an Exception, so nothing in the command can swallow it."""


@contextlib.contextmanager
def alarm(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: Any) -> None:
        raise TooSlow(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def invoke(args: list[str] | tuple[str, ...]) -> Result:
    return CliRunner().invoke(app, ["--quiet", *args])


def tree(root: Path) -> dict[str, str]:
    """Every file, folder and link under `root` (links as their target: loops stay loops)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                out[rel] = "folder"
            else:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def institution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small institution, in the working folder (messages name paths relative to it)."""
    monkeypatch.chdir(tmp_path)
    for name, text in INSTITUTION.items():
        put(name, text)(tmp_path, monkeypatch)
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, institution: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case.build(institution, monkeypatch)
    before = tree(institution)
    with alarm(case.seconds):
        result = invoke(case.args)
    monkeypatch.undo()  # faults of the environment end with the command
    output = result.output
    assert result.exit_code == case.code, output
    for fragment in case.fragments:
        assert fragment in output, output
    assert "Traceback" not in output and "internal error" not in output, output
    after = tree(institution)
    if case.writes:
        out = case.args[case.args.index("--out") + 1]
        after = {k: v for k, v in after.items() if k != out and not k.startswith(out + "/")}
    assert after == before, "the command changed, wrote or left files"


def test_alias_bomb_is_refused_well_under_a_second(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    start = time.perf_counter()
    with alarm(5), pytest.raises(yamlsrc.UserError, match="aliases expand"):
        yamlsrc.load(path)
    assert time.perf_counter() - start < 1.0


def test_aliases_within_the_limits_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {a: 1}\nother: *b\nlist: [*b, *b]\n", encoding="utf-8")
    assert yamlsrc.load(path) == {"base": {"a": 1}, "other": {"a": 1},
                                  "list": [{"a": 1}, {"a": 1}]}


# -- signals during the write, and what they leave behind --------------------------------------

def cutover(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from simulator.cli import main; main()", "--quiet", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})}, cwd=ROOT)


def temp_folders(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.*"))


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("when", ["filling", "filled"])
def test_signal_during_the_write_removes_the_temp_folder(tmp_path: Path, signum: int, code: int,
                                                         when: str) -> None:
    """The write pauses once the temp folder is filled (a test-only hook); the signal comes as
    soon as the temp folder appears (while DuckDB writes) or once it is filled."""
    out = tmp_path / "run"
    sample = ["--pre", str(SAMPLE / "freeze"), "--extract", str(SAMPLE / "extract"),
              "--scenario", str(SAMPLE / "scenario.yaml")]
    proc = cutover("predict", *sample, "--out", str(out),
                   env={"CUTOVER_TEST_PAUSE_WRITE": "60"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            temps = temp_folders(out)
            if temps and (when == "filling" or (temps[0] / "summary.json").is_file()):
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the command ended before the signal"
        assert temp_folders(out), "no temp folder appeared"
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert "stopped by" in stderr, stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], "a temporary folder was left behind"


def dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


def leftover(folder: Path, pid: int | None, host: str | None = None) -> Path:
    """A temp folder as a writer leaves it when it is killed (SIGKILL, power cut)."""
    folder.mkdir()
    (folder / "ledger.parquet").write_bytes(b"PAR1 half written")
    if pid is not None:
        (folder / ".cutover-writing").write_text(json.dumps({
            "pid": pid, "host": host or socket.gethostname()}), encoding="utf-8")
    return folder


def test_a_later_run_removes_leftovers_of_killed_runs(institution: Path) -> None:
    dead = leftover(institution / ".run.k1ll3d00", dead_pid())
    alive = leftover(institution / ".run.a11ve000", os.getpid())  # a run writing right now
    elsewhere = leftover(institution / ".run.h0st0000", dead_pid(), host="another-machine")
    unmarked = leftover(institution / ".run.unmark00", None)
    result = invoke([*PREDICT, "--out", "run"])
    assert result.exit_code == 0, result.output
    assert not dead.exists()
    assert alive.is_dir() and elsewhere.is_dir() and unmarked.is_dir()
    assert (institution / "run" / "summary.json").is_file()
