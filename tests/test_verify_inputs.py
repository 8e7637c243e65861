"""`cutover verify`'s two inputs named by the audit: the post snapshot's stage (the stage
verified unless --stage is given, and then the same) and the --prediction folder (one not
found, a file, a what-if folder). Each mistake is located, exits 2 and writes nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Demo
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.errors import display_path
from simulator.synth import sample

SAMPLE = sample.sample_dir()
ACCEPTED = "verify needs one taken after a load, of stage cutover, fulfillment or golive"


def invoke(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.setattr(sys, "argv", ["cutover", *args])
    return CliRunner().invoke(app, ["--quiet", *args])


def errors(result: Result) -> list[str]:
    """The problems a run refused with (its `error` lines, without the word)."""
    return [line.removeprefix("error ") for line in result.stderr.splitlines()
            if line.startswith("error ")]


def refused(result: Result, out: Path) -> list[str]:
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.stderr
    assert not out.exists()
    return errors(result)


def summary(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "summary.json").read_text(encoding="utf-8")))


def shown(path: Path) -> str:
    return display_path(path)


def prediction_of(demo: Demo) -> list[str]:
    return ["--prediction", str(demo.out)]


def inline() -> list[str]:
    return ["--pre", str(SAMPLE / "freeze"), "--extract", str(SAMPLE / "extract"),
            "--scenario", str(SAMPLE / "scenario.yaml"), "--testload", str(SAMPLE / "testload")]


# -- the post snapshot's stage -----------------------------------------------------------------


@pytest.mark.parametrize("folder", ["freeze", "testload", "extract"])
@pytest.mark.parametrize("stage", [None, "cutover"])
def test_a_post_snapshot_of_no_stage_after_a_load_is_refused(
        sample_demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str,
        stage: str | None) -> None:
    """The freeze given for --post used to be verified as the cutover, with thousands of
    false discrepancies; an extract-side one named every Alma-side stage as expected."""
    out = tmp_path / "verify"
    given = ["--stage", stage] if stage else []
    result = invoke(["verify", *prediction_of(sample_demo), "--post", str(SAMPLE / folder),
                     *given, "--out", str(out)], monkeypatch)
    assert refused(result, out) == [
        f"{shown(SAMPLE / folder)}: --post: a snapshot of stage '{folder}'; {ACCEPTED}"]


def test_a_stage_given_must_be_the_post_snapshots(sample_demo: Demo, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    post = SAMPLE / "post-fulfillment"
    message = (f"{shown(post)}: --post: a snapshot of stage 'fulfillment', but --stage is "
               "'cutover'; leave --stage out to verify the fulfillment stage")
    out = tmp_path / "verify"
    for source in (prediction_of(sample_demo), inline()):
        result = invoke(["verify", *source, "--post", str(post), "--stage", "cutover",
                         "--out", str(out)], monkeypatch)
        assert refused(result, out) == [message]


def test_a_baseline_must_be_the_snapshot_after_the_cutover_load(
        sample_demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fulfillment check compares with Alma after the cutover load: the freeze given for
    --baseline is refused, not compared."""
    out = tmp_path / "verify"
    result = invoke(["verify", *prediction_of(sample_demo), "--post",
                     str(SAMPLE / "post-fulfillment"), "--baseline", str(SAMPLE / "freeze"),
                     "--cutover-extract", str(SAMPLE / "extract"), "--out", str(out)],
                    monkeypatch)
    assert refused(result, out) == [
        f"{shown(SAMPLE / 'freeze')}: --baseline: a snapshot of stage 'freeze'; the fulfillment "
        "load is compared with Alma after the cutover load, a snapshot of stage cutover"]


def test_the_stage_is_the_post_snapshots_unless_given(sample_demo: Demo, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --stage, post-fulfillment gets the fulfillment checks (with the baseline and
    the cutover extract), exactly as the demo's run that names the stage."""
    out = tmp_path / "fulfillment"
    result = invoke(["verify", *prediction_of(sample_demo), "--post",
                     str(SAMPLE / "post-fulfillment"), "--baseline", str(SAMPLE / "post-cutover"),
                     "--cutover-extract", str(SAMPLE / "extract"), "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 1, result.output  # the sample's deliberate surprises
    demo = sample_demo.out.parent / f"{sample_demo.out.name}-verify-fulfillment"
    assert summary(out)["stage"] == "fulfillment"
    assert summary(out)["counts"] == summary(demo)["counts"]
    assert (out / "discrepancies.csv").read_bytes() == (demo / "discrepancies.csv").read_bytes()
    # The checks that need the baseline ran.
    assert {"changed_at_fulfillment", "loan_count_changed", "instructor_unlinked",
            "item_status_mismatch"} <= {f["class"] for f in summary(out)["findings"]}


def test_a_stage_given_that_matches_still_runs(sample_demo: Demo, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "golive"
    result = invoke(["verify", *prediction_of(sample_demo), "--post", str(SAMPLE / "post-golive"),
                     "--stage", "golive", "--out", str(out)], monkeypatch)
    assert result.exit_code == 1, result.output
    demo = sample_demo.out.parent / f"{sample_demo.out.name}-verify-golive"
    assert summary(out)["stage"] == "golive"
    assert (out / "discrepancies.csv").read_bytes() == (demo / "discrepancies.csv").read_bytes()


# -- the prediction folder -----------------------------------------------------------------


def test_a_prediction_not_found_is_said_so(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    missing, out = tmp_path / "predict-1", tmp_path / "verify"
    result = invoke(["verify", "--prediction", str(missing), "--post",
                     str(SAMPLE / "post-cutover"), "--out", str(out)], monkeypatch)
    assert refused(result, out) == [f"{shown(missing)}: --prediction: run folder not found"]


def test_a_file_for_the_prediction_is_said_to_be_one(sample_demo: Demo, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    inside = sample_demo.out / "summary.json"
    loose = SAMPLE / "scenario.yaml"
    out = tmp_path / "verify"
    for given, message in (
            (inside, f"{shown(inside)}: --prediction: a file, not a predict run folder (give "
                     f"the folder it is in, {shown(sample_demo.out)})"),
            (loose, f"{shown(loose)}: --prediction: a file, not a predict run folder")):
        result = invoke(["verify", "--prediction", str(given), "--post",
                         str(SAMPLE / "post-cutover"), "--out", str(out)], monkeypatch)
        assert refused(result, out) == [message]


def test_a_whatif_folder_names_its_runs(sample_demo: Demo, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """As `cutover diff` says of it (diff.open_run); its variants/base is a prediction."""
    whatif = sample_demo.out.parent / f"{sample_demo.out.name}-whatif"
    out = tmp_path / "verify"
    result = invoke(["verify", "--prediction", str(whatif), "--post",
                     str(SAMPLE / "post-cutover"), "--out", str(out)], monkeypatch)
    assert refused(result, out) == [
        f"{shown(whatif)}: --prediction: a whatif folder has no ledger of its own; give one of "
        f"its runs, e.g. {shown(whatif)}/variants/base or {shown(whatif)}/variants/<name>"]
    result = invoke(["verify", "--prediction", str(whatif / "variants" / "base"), "--post",
                     str(SAMPLE / "post-cutover"), "--entity", "vendors", "--out", str(out)],
                    monkeypatch)
    assert result.exit_code == 0, result.output
    assert summary(out)["manifest"]["prediction"]["path"] == shown(whatif / "variants" / "base")


def test_a_folder_that_is_no_predict_run_is_named(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    empty, no_ledger, out = tmp_path / "empty", tmp_path / "no-ledger", tmp_path / "verify"
    empty.mkdir()
    no_ledger.mkdir()
    (no_ledger / "summary.json").write_text('{"kind": "predict"}\n', encoding="utf-8")
    for folder, message in (
            (empty, f"{shown(empty)}: --prediction: not a run folder (no summary.json)"),
            (no_ledger, f"{shown(no_ledger)}: --prediction: no ledger.parquet in this run "
                        "folder")):
        result = invoke(["verify", "--prediction", str(folder), "--post",
                         str(SAMPLE / "post-cutover"), "--out", str(out)], monkeypatch)
        assert refused(result, out) == [message]


def test_both_inputs_are_reported_together(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    missing, out = tmp_path / "predict-1", tmp_path / "verify"
    result = invoke(["verify", "--prediction", str(missing), "--post", str(SAMPLE / "freeze"),
                     "--out", str(out)], monkeypatch)
    assert sorted(refused(result, out)) == sorted([
        f"{shown(SAMPLE / 'freeze')}: --post: a snapshot of stage 'freeze'; {ACCEPTED}",
        f"{shown(missing)}: --prediction: run folder not found"])
