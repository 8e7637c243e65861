"""Pins what every command writes for the sample institution: ledgers, summaries (less the
timestamp and versions), the other tables written, and exit codes. Any change to these on the
sample is a change of behaviour, to be made on purpose: `UPDATE_PINNED=1 pytest
tests/test_pinned.py` rewrites tests/golden/pinned/ (and fails once, so it is never silent).

Each command runs once as a user would run it; `cutover demo` must write the same folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Demo
from typer.testing import CliRunner

from simulator.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
GOLDEN = Path(__file__).resolve().parent / "golden" / "pinned"
INPUTS = ["--pre", str(SAMPLE / "freeze"), "--extract", str(SAMPLE / "extract"),
          "--scenario", str(SAMPLE / "scenario.yaml"), "--testload", str(SAMPLE / "testload")]
# The rule pack's hash changes with any edit of its files, also one that changes no outcome.
DROPPED = {"timestamp", "duckdb_version", "tool_version", "rule_pack_hash"}
HASHED = (".csv", ".parquet", ".xml")


def commands(out: Path) -> dict[str, list[str]]:
    """The demo's runs, one command each, in the order they depend on each other."""
    pred = str(out / "demo")
    post = {s: str(SAMPLE / f"post-{s}") for s in ("cutover", "fulfillment", "golive")}
    runs = {"demo": ["predict", *INPUTS, "--out", pred]}
    for stage in post:
        runs[f"demo-verify-{stage}"] = [
            "verify", "--prediction", pred, "--post", post[stage], "--stage", stage,
            "--out", f"{pred}-verify-{stage}"]
    runs["demo-verify-fulfillment"] += ["--baseline", post["cutover"],
                                        "--cutover-extract", str(SAMPLE / "extract")]
    runs["demo-readiness"] = ["readiness", *INPUTS, "--waivers", str(SAMPLE / "waivers.yaml"),
                              "--as-of", "2026-03-02", "--out", f"{pred}-readiness"]
    variants = [a for v in sorted((SAMPLE / "variants").glob("*.yaml"))
                for a in ("--variant", str(v))]
    runs["demo-whatif"] = ["whatif", *INPUTS, *variants, "--out", f"{pred}-whatif"]
    runs["diff"] = ["diff", pred, f"{pred}-readiness", "--out", str(out / "diff")]
    return runs


def normalised(value: Any, out: Path) -> Any:
    """The summary with run-specific text (folders, timestamp, versions, command) neutral."""
    if isinstance(value, dict):
        return {k: normalised(v, out) for k, v in value.items()
                if k not in DROPPED and k != "command"}
    if isinstance(value, list):
        return [normalised(v, out) for v in value]
    if isinstance(value, str):
        return value.replace(str(out), "<OUT>").replace(str(SAMPLE), "<SAMPLE>")
    return value


def folder_state(folder: Path, out: Path) -> dict[str, Any]:
    """Every summary in full (normalised) and a digest of every table the folder holds."""
    state: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.name == "summary.json":
            state[name] = normalised(json.loads(path.read_text(encoding="utf-8")), out)
        elif path.suffix == ".parquet":
            state[name] = _parquet_digest(path)
        elif path.suffix in HASHED:
            state[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def _parquet_digest(path: Path) -> str:
    """The rows in file order: the same content whatever the writer's encoding choices."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    h = hashlib.sha256(repr(table.schema.names).encode())
    for row in table.to_pylist():
        h.update(repr(sorted(row.items())).encode())
    return h.hexdigest()


def invoke(args: list[str]) -> int:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["cutover", *args])
        result = CliRunner().invoke(app, ["--quiet", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code


@pytest.fixture(scope="module")
def pinned_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("pinned")
    state: dict[str, Any] = {}
    for name, args in commands(out).items():
        code = invoke(args)
        state[name] = {"exit_code": code, "files": folder_state(out / name, out)}
    return out, state


def test_every_command_writes_what_it_wrote_before(
        pinned_runs: tuple[Path, dict[str, Any]]) -> None:
    out, state = pinned_runs
    if os.environ.get("UPDATE_PINNED"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, value in state.items():
            (GOLDEN / f"{name}.json").write_text(
                json.dumps(value, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.fail("pinned outputs rewritten: review the diff of tests/golden/pinned/")
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(state)
    for name, value in state.items():
        want = normalised(json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8")), out)
        assert value["exit_code"] == want["exit_code"], name
        assert sorted(value["files"]) == sorted(want["files"]), name
        for file, content in want["files"].items():
            assert value["files"][file] == content, f"{name}/{file} differs from the pinned one"


def test_demo_writes_the_same_folders(pinned_runs: tuple[Path, dict[str, Any]],
                                      sample_demo: Demo) -> None:
    _, state = pinned_runs
    assert sample_demo.exit_code == 0, sample_demo.stdout
    root = sample_demo.out.parent
    for name, value in state.items():
        if name == "diff":
            continue
        assert folder_state(root / name, root) == value["files"], name
