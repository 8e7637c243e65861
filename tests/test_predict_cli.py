"""`cutover predict` and `cutover demo` end to end through the command line
(docs/formats/run-folder.md and docs/commands/demo.md)."""

from __future__ import annotations

import csv
import errno
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import Demo, World, default_pack, role, user
from typer.testing import CliRunner, Result

import simulator
from simulator import db
from simulator.cli import app
from simulator.core import engine
from simulator.core.engine import LEDGER_COLUMNS
from simulator.inputs.tables import TABLES
from simulator.output import runfolder

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SAMPLE_ARGS = ["--pre", str(SAMPLE / "freeze"), "--extract", str(SAMPLE / "extract"),
               "--scenario", str(SAMPLE / "scenario.yaml"), "--testload", str(SAMPLE / "testload")]
RUN_FILES = {"ledger.parquet", "ledger.csv", "summary.json", "report.html"}
SIDE_OF = {"freeze": "alma", "extract": "extract"}


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch | None = None) -> Result:
    """Run the command as `cutover ARGS` (the manifest records sys.argv, so set it too)."""
    argv = ["cutover", *args]
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "argv", argv)
        return CliRunner().invoke(app, args)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", argv)
        return CliRunner().invoke(app, args)


def snapshot_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Run:
    out: Path
    result: Result
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        return dict(json.loads(self.files["summary.json"]))

    def ledger(self) -> list[dict[str, Any]]:
        return list(pq.read_table(self.out / "ledger.parquet").to_pylist())


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("predict") / "run"
    args = ["--quiet", "predict", *SAMPLE_ARGS, "--out", str(out)]
    result = invoke(args)
    return Run(out, result, snapshot_bytes(out) if out.is_dir() else {})


def table_csvs(folder: Path) -> list[Path]:
    """The table files of a snapshot folder (not the forms its manifest names)."""
    manifest = yaml.safe_load((folder / "snapshot.yaml").read_text(encoding="utf-8"))
    forms = set((manifest.get("forms") or {}).values())
    return sorted(p for p in folder.glob("*.csv") if p.name not in forms)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# -- tiny institution for the cheap cases -------------------------------------------------------

def tiny(root: Path) -> list[str]:
    """Five records: two users, one role, two patrons (one new). No blockers."""
    w = World(root / "inputs")
    w.pre = {"users": [user("U1"), user("S1", "STAFF")], "user_roles": [role("U1")]}
    w.extract = {"patrons": [{"primary_id": "U1"}, {"primary_id": "N1"}]}
    pre, extract, scenario, _ = w.write()
    return ["--pre", str(pre), "--extract", str(extract), "--scenario", str(scenario)]


TINY_ROWS = 5


def siblings(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# -- the sample institution ----------------------------------------------------------------------

def test_predict_on_the_sample_exits_1_and_writes_the_run_folder(sample_run: Run) -> None:
    r = sample_run.result
    assert r.exit_code == 1, r.output  # the sample has blocker findings
    assert RUN_FILES <= set(sample_run.files), sorted(sample_run.files)
    # Hidden: only the tool's marker (docs/formats/run-folder.md), no temp or lock files.
    assert [n for n in sample_run.files if n.startswith(".")] == [runfolder.MARKER]
    # Nothing but the run folder beside it: the temp folder was renamed, not copied.
    assert siblings(sample_run.out.parent) == {sample_run.out.name}
    assert "blocker" in r.stdout
    assert "run folder" in r.stdout


def test_ledger_holds_every_input_record_exactly_once(sample_run: Run) -> None:
    ledger = sample_run.ledger()
    keys = Counter((row["side"], row["entity"], row["record_key"]) for row in ledger)
    assert [k for k, n in keys.items() if n > 1] == []
    expected: Counter[tuple[str, str, str]] = Counter()
    for folder, side in SIDE_OF.items():
        for path in table_csvs(SAMPLE / folder):
            spec = TABLES[path.stem]
            for row in read_csv(path):
                expected[(side, path.stem, "|".join(row[k] for k in spec.key))] += 1
    per_entity = Counter((s, e) for s, e, _ in keys.elements())
    expected_per_entity = Counter((s, e) for s, e, _ in expected.elements())
    assert per_entity == expected_per_entity
    assert keys == expected
    assert sample_run.summary["ledger"]["rows"] == len(ledger)
    counted = Counter()
    for c in sample_run.summary["counts"]:
        counted[(c["side"], c["entity"])] += c["count"]
    assert counted == expected_per_entity


def test_ledger_is_sorted_and_the_csv_holds_the_same_rows(sample_run: Run) -> None:
    table = pq.read_table(sample_run.out / "ledger.parquet")
    assert tuple(table.column_names) == LEDGER_COLUMNS
    rows = table.to_pylist()
    order = [(r["side"], r["entity"], r["record_key"]) for r in rows]
    assert order == sorted(order)
    texts = {r.id: (e.name, r.outcome, r.reason, r.cite, r.message)
             for e, r in default_pack().rules()}
    assert all((r["entity"], r["outcome"], r["reason"], r["cite"], r["message"])
               == texts[r["rule_id"]] for r in rows)
    with (sample_run.out / "ledger.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        assert tuple(next(reader)) == LEDGER_COLUMNS
        csv_rows = list(reader)
    assert csv_rows == [["" if r[c] is None else str(r[c]) for c in LEDGER_COLUMNS]
                        for r in rows]


def test_input_warnings_are_kept_in_the_summary_and_the_report(tmp_path: Path) -> None:
    """What the terminal warned of on opening the inputs reaches whoever reads the run."""
    args = tiny(tmp_path)
    (tmp_path / "inputs" / "extract" / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = invoke(["--quiet", "predict", *args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    warned = [line.removeprefix("warning ") for line in result.stderr.splitlines()]
    assert len(warned) == 1 and "notes.csv: no table named 'notes'" in warned[0]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["warnings"] == warned
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "<th>Warnings</th>" in html and "no table named &#39;notes&#39;" in html
    (tmp_path / "inputs" / "extract" / "notes.csv").unlink()
    result = invoke(["--quiet", "predict", *args, "--out", str(tmp_path / "run2")])
    assert (result.exit_code, result.stderr) == (0, "")
    summary = json.loads((tmp_path / "run2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["warnings"] == []
    assert "<th>Warnings</th>" not in (tmp_path / "run2" / "report.html").read_text("utf-8")


def test_the_ledger_written_in_order_is_the_ledger_sorted(world: World) -> None:
    """The write sorts the narrow index and looks the texts up after: the same rows, in the
    same order, as sorting the joined ledger."""
    world.pre = {"users": [user(f"U{i:02d}", "STAFF" if i % 3 else "PUBLIC") for i in range(40)],
                 "user_roles": [role(f"U{i:02d}", "Cataloger") for i in range(0, 40, 2)],
                 "vendors": [{"code": f"V{i}"} for i in range(5)]}
    world.extract = {"patrons": [{"primary_id": f"u{i:02d}"} for i in range(10, 50, 3)],
                     "vendors": [{"code": f"V{i}"} for i in range(3, 8)]}
    with world.session() as session:
        written = session.con.rows(session.classification.ledger_in_order)
        assert written == session.con.rows(runfolder.LEDGER_IN_ORDER)
        assert len(written) == 40 + 20 + 5 + 14 + 5


def test_summary_json_has_counts_findings_and_manifest(sample_run: Run) -> None:
    s = sample_run.summary
    assert s["kind"] == "predict" and s["institution"] == "NFU"
    assert s["counts"] and all(set(c) == {"side", "entity", "outcome", "count"}
                               for c in s["counts"])
    assert {c["outcome"] for c in s["counts"]} <= {
        "retained", "refreshed", "merged", "added", "removed", "reverted", "detached",
        "deactivated", "rejected", "not_migrated"}
    assert s["findings"]
    for f in s["findings"]:
        assert {"id", "severity", "title", "count", "sample_keys", "fix"} <= set(f)
        assert f["severity"] in ("blocker", "warning", "info")
        assert f["count"] >= len(f["sample_keys"]) >= 1
        assert f["title"] and f["fix"]
    assert {f["severity"] for f in s["findings"]} == {"blocker", "warning", "info"}
    # Sample keys are real ledger keys of the finding's rule.
    by_rule: dict[str, set[str]] = {}
    for row in sample_run.ledger():
        by_rule.setdefault(row["rule_id"], set()).add(row["record_key"])
    for f in s["findings"]:
        assert set(f["sample_keys"]) <= by_rule[f["rule_id"]], f["id"]

    m = s["manifest"]
    assert m["tool_version"] == simulator.__version__
    assert m["duckdb_version"] == db.VERSION
    assert len(m["rule_pack_hash"]) >= 16
    assert m["scenario"]["institution"] == "NFU"
    assert m["scenario"]["dates"]["freeze_start"].startswith("2026-03-02")
    assert m["command"] == ["cutover", "--quiet", "predict", *SAMPLE_ARGS, "--out",
                            str(sample_run.out)]
    assert m["timestamp"].endswith("+00:00")
    assert set(m["snapshots"]) == {"pre", "extract", "testload"}
    for name, folder in (("pre", "freeze"), ("extract", "extract"), ("testload", "testload")):
        files = {p.name: sha256(p.read_bytes()).hexdigest()
                 for p in (SAMPLE / folder).iterdir() if p.is_file()}
        # Every file of the snapshot is hashed: tables, the manifest and the forms.
        assert m["snapshots"][name]["files"] == files, name


class Page(HTMLParser):
    """Text per element with an id or data-entity, and the tag structure's sanity."""

    OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "option",
                    "html", "head", "body", "colgroup"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.stack: list[tuple[str, dict[str, str | None], int]] = []
        self.by_id: dict[str, str] = {}
        self.by_entity: dict[str, list[str]] = {}
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.attrs.append((tag, a))
        if tag not in self.VOID:
            self.stack.append((tag, a, len(self.text)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not any(t == tag for t, _, _ in self.stack):
            self.errors.append(f"stray </{tag}>")
            return
        while self.stack:
            t, a, start = self.stack.pop()
            text = " ".join("".join(self.text[start:]).split())
            if a.get("id"):
                self.by_id[str(a["id"])] = text
            if a.get("data-entity"):
                self.by_entity.setdefault(str(a["data-entity"]), []).append(text)
            if t == tag:
                return
            if t not in self.OPTIONAL_END:
                self.errors.append(f"<{t}> closed by </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_html_parses_and_shows_the_verdict_and_every_entity(sample_run: Run) -> None:
    html = sample_run.files["report.html"].decode("utf-8")
    page = Page()
    page.feed(html)
    page.close()
    assert page.errors == []
    assert [t for t, _, _ in page.stack if t not in Page.OPTIONAL_END] == []
    assert page.by_id.get("verdict") == sample_run.summary["verdict"]
    totals: Counter[str] = Counter()
    for c in sample_run.summary["counts"]:
        totals[f"{c['side']}.{c['entity']}"] += c["count"]
    for entity, total in totals.items():
        texts = page.by_entity.get(entity, []) + (
            [page.by_id[entity]] if entity in page.by_id else [])
        assert texts, f"no row or section for {entity}"
        assert any(f"{total:,}" in t for t in texts), (entity, total, texts)
    # Self-contained: nothing is fetched from elsewhere.
    for tag, a in page.attrs:
        for attr in ("src", "href"):
            value = (a.get(attr) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "ftp:")), (tag, attr, value)
        assert not (tag == "link" and a.get("rel") == "stylesheet"), a


def test_two_runs_give_the_same_bytes_and_replace_the_earlier_run(
    sample_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sample_run.files
    (sample_run.out / "stray.txt").write_text("left by hand", encoding="utf-8")
    result = invoke(["--quiet", "predict", *SAMPLE_ARGS, "--out", str(sample_run.out)],
                    monkeypatch)
    assert result.exit_code == 1, result.output
    second = snapshot_bytes(sample_run.out)
    assert set(second) == set(first)  # replaced, not merged: the stray file is gone
    assert siblings(sample_run.out.parent) == {sample_run.out.name}
    assert second["ledger.parquet"] == first["ledger.parquet"]
    assert second["ledger.csv"] == first["ledger.csv"]
    s1, s2 = json.loads(first["summary.json"]), json.loads(second["summary.json"])
    t1, t2 = s1["manifest"].pop("timestamp"), s2["manifest"].pop("timestamp")
    assert s1 == s2
    h1 = first["report.html"].decode("utf-8").replace(t1, "TIMESTAMP")
    h2 = second["report.html"].decode("utf-8").replace(t2, "TIMESTAMP")
    assert h1 == h2
    sample_run.files = second


def test_demo_exits_0_and_matches_predict_on_the_sample(sample_run: Run,
                                                        sample_demo: Demo) -> None:
    out = sample_demo.out
    assert sample_demo.exit_code == 0, sample_demo.stdout
    assert RUN_FILES <= siblings(out)
    assert (out / "ledger.parquet").read_bytes() == sample_run.files["ledger.parquet"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["command"] == ["cutover", "demo", "--out", str(out)]
    assert summary["counts"] == sample_run.summary["counts"]
    assert "report.html" in sample_demo.stdout


def test_demo_checks_every_folder_it_writes_before_writing_any(tmp_path: Path) -> None:
    """A folder of the user's where the demo would put its readiness run stops the demo before
    predict writes anything, not halfway."""
    mine = tmp_path / "demo-readiness"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    result = invoke(["--quiet", "demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 2, result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error ")] == [
        f"error {mine}: --out exists and is not a run folder; choose a new folder"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo-readiness"]
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"


# -- --csv ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode,limit,expect_csv", [
    ("auto", 1_048_576, True),
    ("auto", TINY_ROWS, True),
    ("auto", TINY_ROWS - 1, False),
    ("always", TINY_ROWS - 1, True),
    ("never", 1_048_576, False),
])
def test_csv_modes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, limit: int,
                   expect_csv: bool) -> None:
    # What a spreadsheet opens (docs/formats/run-folder.md).
    assert runfolder.CSV_MAX_ROWS == 1_048_576
    monkeypatch.setattr(runfolder, "CSV_MAX_ROWS", limit)
    out = tmp_path / "run"
    result = invoke(["--quiet", "predict", *tiny(tmp_path), "--csv", mode, "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 0, result.output
    assert (out / "ledger.csv").exists() is expect_csv
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ledger"] == {"rows": TINY_ROWS, "csv": expect_csv}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert ('href="ledger.csv"' in html) is expect_csv
    assert 'href="ledger.parquet"' in html


def test_csv_mode_must_be_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    result = invoke(["predict", *tiny(tmp_path), "--csv", "sometimes", "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("error --csv: must be one of auto, always, never, not 'sometimes'\n"
                             "1 problem; nothing was written.\n")
    assert not out.exists()


# -- the out folder -------------------------------------------------------------------------------

def test_out_folder_with_other_files_is_refused_and_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = tiny(tmp_path)
    out = tmp_path / "thesis"
    (out / "chapter").mkdir(parents=True)
    (out / "notes.txt").write_text("do not delete", encoding="utf-8")
    (out / "chapter" / "1.md").write_text("# One", encoding="utf-8")
    before, around = snapshot_bytes(out), siblings(tmp_path)
    result = invoke(["predict", *args, "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert "not a run folder" in result.stderr
    assert snapshot_bytes(out) == before
    assert siblings(tmp_path) == around


def test_out_that_is_a_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"%PDF")
    result = invoke(["predict", *tiny(tmp_path), "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert out.read_bytes() == b"%PDF"


def test_empty_out_folder_and_missing_parents_are_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = tiny(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (empty, tmp_path / "a" / "b" / "run"):
        result = invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch)
        assert result.exit_code == 0, result.output
        assert RUN_FILES <= siblings(out)
    assert siblings(tmp_path / "a" / "b") == {"run"}


class _Broken:
    """Stands in for the json module inside runfolder: the summary cannot be written."""

    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(*args: Any, **kwargs: Any) -> str:
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("earlier", [False, True], ids=["fresh", "over-earlier-run"])
def test_failure_while_writing_leaves_no_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, earlier: bool
) -> None:
    args = tiny(tmp_path)
    work = tmp_path / "runs"
    work.mkdir()
    out = work / "run"
    if earlier:
        assert invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch).exit_code == 0
    before = snapshot_bytes(out) if earlier else None
    monkeypatch.setattr(runfolder, "json", _Broken)
    result = invoke(["--quiet", "predict", *args, "--csv", "always", "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 2, result.output  # a full disk is the user's to fix
    assert "cannot write --out: No space left on device" in result.stderr
    assert "Traceback" not in result.output
    if earlier:
        assert snapshot_bytes(out) == before  # the earlier run is intact
        assert siblings(work) == {"run"}
    else:
        assert siblings(work) == set()  # neither the out folder nor a temp folder


def test_failure_of_the_final_rename_keeps_the_earlier_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = tiny(tmp_path)
    out = tmp_path / "runs" / "run"
    assert invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch).exit_code == 0
    before = snapshot_bytes(out)
    real_rename = Path.rename

    def rename(self: Path, target: Any) -> Path:
        if Path(target) == out and ".old." not in self.name:
            raise PermissionError(13, "Permission denied", str(target))
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    result = invoke(["--quiet", "predict", *args, "--csv", "never", "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 2, result.output
    assert "cannot write --out: Permission denied" in result.stderr
    assert snapshot_bytes(out) == before
    assert siblings(out.parent) == {"run"}


def test_missing_parents_created_for_a_failed_run_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = tiny(tmp_path)
    monkeypatch.setattr(runfolder, "json", _Broken)
    out = tmp_path / "new" / "deeper" / "run"
    result = invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "new").exists()


def _no_work(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the records were classified before --out was checked")


def test_out_under_a_file_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = tiny(tmp_path)
    notes = tmp_path / "mydocs" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("hi\n", encoding="utf-8")
    monkeypatch.setattr(engine, "classify", _no_work)
    for out in (notes / "x", notes / "x" / "y" / "z"):
        result = invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch)
        assert result.exit_code == 2, result.output
        assert result.stderr == (f"error {out}: cannot write --out: {notes} is a file, not a "
                                 "folder; choose another --out\n1 problem; nothing was written.\n")
    assert siblings(notes.parent) == {"notes.txt"} and notes.read_text() == "hi\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_out_where_no_folder_can_be_made_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/proc takes no new folder, even from root (who ignores permission bits)."""
    monkeypatch.setattr(engine, "classify", _no_work)
    for out in ("/proc/nope", "/proc/nope/deeper/run"):
        result = invoke(["--quiet", "predict", *tiny(tmp_path), "--out", out], monkeypatch)
        assert result.exit_code == 2, result.output
        assert result.stderr == (f"error {out}: cannot write --out: /proc does not take new "
                                 "folders; choose another --out\n1 problem; nothing was "
                                 "written.\n")


def _refusing(code: int, prefix: str = "") -> Callable[..., str]:
    """tempfile.mkdtemp failing with `code` for the folders whose name starts with `prefix`."""
    real = tempfile.mkdtemp

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        name = kwargs.get("prefix") or ""
        if name.startswith(prefix):
            raise OSError(code, os.strerror(code), os.path.join(kwargs.get("dir") or "", name))
        return real(*args, **kwargs)
    return mkdtemp


def test_out_without_permission_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permission bits alone cannot show this to root: the folder's refusal is simulated."""
    args = tiny(tmp_path)
    monkeypatch.setattr(engine, "classify", _no_work)
    monkeypatch.setattr(tempfile, "mkdtemp", _refusing(errno.EACCES))
    out = tmp_path / "locked" / "run"
    result = invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error {out}: cannot write --out: no permission to make a folder "
                             f"in {tmp_path}; check the folder's permissions or choose another "
                             "--out\n1 problem; nothing was written.\n")


def test_a_path_made_a_file_after_the_check_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process turns --out's parent into a file between the check and the write."""
    args = tiny(tmp_path)
    out = tmp_path / "runs" / "run"
    real = runfolder.remove_leftovers

    def race(folder: Path) -> None:
        out.parent.rmdir()
        out.parent.write_text("not a folder", encoding="utf-8")
        real(folder)

    monkeypatch.setattr(runfolder, "remove_leftovers", race)
    result = invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error {out}: cannot write --out: {out.parent} is a file, not a "
                             "folder; choose another --out\n1 problem; nothing was written.\n")


def test_a_full_disk_when_the_folder_is_made_names_out_not_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = tiny(tmp_path)
    out = tmp_path / "run"
    monkeypatch.setattr(tempfile, "mkdtemp", _refusing(errno.ENOSPC, ".run."))
    result = invoke(["--quiet", "predict", *args, "--out", str(out)], monkeypatch)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error {out}: cannot write --out: No space left on device; free "
                             "some space or choose another --out\n1 problem; nothing was "
                             "written.\n")
    assert not out.exists() and not list(tmp_path.glob(".run.*"))


# -- internal errors ------------------------------------------------------------------------------

def test_internal_error_exits_3_with_a_short_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom in the engine\nsecond line with detail")

    monkeypatch.setattr(engine, "classify", boom)
    out = tmp_path / "run"
    result = invoke(["predict", *tiny(tmp_path), "--out", str(out)], monkeypatch)
    assert result.exit_code == 3, result.output
    assert "internal error" in result.stderr
    assert "RuntimeError: boom in the engine" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output and "second line" not in result.output
    assert not out.exists()


DEBUG_SCRIPT = textwrap.dedent("""
    import sys
    from simulator.core import engine
    from simulator.cli import main

    def boom(*args, **kwargs):
        raise RuntimeError("boom in the engine")

    engine.classify = boom
    sys.argv = ["cutover", *sys.argv[1:]]
    main()
""")


def _run_debug(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    args = ["--debug", "--quiet", "predict", *tiny(tmp_path), "--out", str(tmp_path / "run")]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLUMNS")}
    env["COLUMNS"] = "120"
    return subprocess.run([sys.executable, "-c", DEBUG_SCRIPT, *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_internal_error_with_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = _run_debug(tmp_path)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr, proc.stderr
    assert "RuntimeError" in proc.stderr and "boom in the engine" in proc.stderr
    assert not (tmp_path / "run").exists()


def test_internal_error_with_debug_still_exits_3(tmp_path: Path) -> None:
    assert _run_debug(tmp_path).returncode == 3
