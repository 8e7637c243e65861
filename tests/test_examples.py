"""The examples of docs/examples/ run as they are, so they never rot: the notebook what-if.ipynb
is executed cell by cell in a Jupyter kernel (nbclient), its plain-script twin what_if.py as a
program; both tell what the demo's what-if run of the same variant tells."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import Demo
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
PNG = b"\x89PNG\r\n\x1a\n"


def demo_variant(demo: Demo, name: str) -> dict[str, Any]:
    summary = json.loads((demo.out.parent / f"{demo.out.name}-whatif" / "summary.json")
                         .read_text(encoding="utf-8"))
    return next(v for v in summary["variants"] if v["name"] == name)


def words(text: str) -> list[str]:
    """The lines of a printed table, each with its words one space apart."""
    return [" ".join(line.split()) for line in text.splitlines()]


def text_of(cell: Any) -> str:
    """What a code cell showed: its printed text and its result as plain text."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"])
    return "".join(parts)


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """what-if.ipynb, executed in a fresh kernel from its own folder (its temporary folders
    under a test's)."""
    tmp = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(EXAMPLES / "what-if.ipynb", as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(tmp))
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")
        mp.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(EXAMPLES)}}).execute()
    return nb


def test_the_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(EXAMPLES / "what-if.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 9
    assert [(c.outputs, c.execution_count) for c in code] == [([], None)] * len(code)


def test_the_notebook_runs_every_cell_without_an_error(notebook: Any) -> None:
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert [o for c in code for o in c.outputs if o.output_type == "error"] == []


def test_the_notebook_predicts_plots_and_shows_the_variants_transitions(
        notebook: Any, sample_demo: Demo) -> None:
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert text_of(code[0]) == "'NFU'"
    assert text_of(code[1]).startswith(
        "3 blocker(s) and 13 warning(s): the cutover would lose or reject data that must be "
        "fixed first.\n")
    [image] = [o for o in code[2].outputs if "image/png" in o.get("data", {})]
    assert image.data["image/png"]
    variant = demo_variant(sample_demo, "retain-funds")
    totals = text_of(code[4]).splitlines()
    assert totals[1].split()[:4] == ["0", "retain-funds", str(variant["transitions"]["changed"]),
                                     "0"]
    assert variant["transitions"]["changed"] == 870
    assert words(text_of(code[5]))[2:] == [
        "alma fund_transactions removed 0 60 0",
        "funds removed 0 1 14",
        "extract fund_transactions added 80 0 0",
        "funds added 15 0 0",
        "invoices added 300 0 0",
        "orders added 397 0 0",
        "rejected 3 0 0"]
    [table] = [o.data["text/html"] for o in code[6].outputs if "text/html" in o.get("data", {})]
    rows = {key: re.findall(r"<td>([^<]*)</td>", row)
            for key, row in re.findall(r"<td>(F\d+)</td>(.*?)</tr>", table, re.S)}
    assert len(rows) == 15  # the sample's funds
    assert rows["F007"] == ["removed", "retained", "funds.retained-fiscal-period-differs"]
    assert rows["F015"] == ["removed", "removed", "nfu.funds.inactive-not-kept"]
    assert ast.literal_eval(text_of(code[7])) == [
        ".cutover-run", "report.html", "summary.json", "transitions.csv", "transitions.parquet",
        "variants"]


def test_the_script_tells_the_same_and_writes_its_plot_and_folder(
        tmp_path: Path, sample_demo: Demo) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / "what_if.py"), str(tmp_path / "out")],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0] == ("3 blocker(s) and 13 warning(s): the cutover would lose or reject data "
                        "that must be fixed first.")
    assert f"plot: {tmp_path / 'out' / 'outcomes.png'}" in lines
    assert (tmp_path / "out" / "outcomes.png").read_bytes().startswith(PNG)
    assert lines[-1] == f"what-if folder: {tmp_path / 'out' / 'whatif-retain-funds'}"
    written = json.loads((tmp_path / "out" / "whatif-retain-funds" / "summary.json")
                         .read_text(encoding="utf-8"))
    [variant] = written["variants"]
    demo = demo_variant(sample_demo, "retain-funds")
    assert (variant["transitions"], variant["new_blockers"], variant["cleared_blockers"]) == \
        (demo["transitions"], demo["new_blockers"], demo["cleared_blockers"])
    assert written["manifest"]["command"][:2] == ["cutover", "whatif"]
