"""The wheel ships the rule pack, the report templates and the sample, and works installed.

docs/architecture.md, "Packages": `pip install .` from a clean clone and running the command
from another folder must find the rules and templates. The wheel is built without network
(`--no-isolation`: hatchling is a test dependency), installed into a fresh venv whose only other
path is the project venv's site-packages (for the dependencies, without running its .pth files,
so the editable install of this checkout is not on sys.path), and run from an unrelated folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules" / "alma-cutover"


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(cmd: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=clean_env(), capture_output=True,
                          text=True, timeout=timeout)
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    # sdist first, then the wheel built from the unpacked sdist: both must be complete.
    proc = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, ROOT],
               cwd=dist)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, proc.stdout
    return wheels[0]


def test_wheel_contains_rules_templates_and_sample(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        pack = {n.removeprefix("simulator/_packs/alma-cutover/") for n in names
                if n.startswith("simulator/_packs/alma-cutover/")}
        assert pack == files_under(PACK)
        assert {p for p in pack if p.endswith(".yaml")} == {p.name for p in PACK.glob("*.yaml")}
        for folder in ("templates", "static"):
            src = ROOT / "reports" / folder
            if src.is_dir():
                shipped = {n.removeprefix(f"reports/{folder}/") for n in names
                           if n.startswith(f"reports/{folder}/")}
                assert shipped == files_under(src), folder
        templates = {n for n in names if n.startswith("reports/templates/")}
        assert any(n.endswith(".html") for n in templates)
        css = {n for n in names if n.startswith("reports/") and n.endswith(".css")}
        assert css, "no stylesheet in the wheel"
        sample = {n.removeprefix("simulator/_sample/"): z.read(n) for n in names
                  if n.startswith("simulator/_sample/")}
        committed = {rel: (ROOT / "sample_data" / rel).read_bytes()
                     for rel in files_under(ROOT / "sample_data")}
        assert sample == committed
        # Sources and tests stay out; the console script is declared.
        assert not any(n.startswith(("tests/", "rules/", "sample_data/", "runs/")) for n in names)
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "cutover = simulator.cli:main" in z.read(entry_points).decode()


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; dependencies come from the project venv."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    proc = run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv.parent)
    assert proc.returncode == 0, proc.stderr
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    proc = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
               cwd=venv.parent)
    site = Path(proc.stdout.strip())
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    # A path line in a .pth adds the folder but does not run that folder's .pth files, so the
    # project's editable install (a .pth pointing at this checkout) stays out of sys.path.
    (site / "_project_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    proc = run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
                "--no-deps", "--no-index", wheel], cwd=venv.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return venv


def scripts(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def test_installed_package_does_not_see_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = ("import json, sys, simulator, reports; print(json.dumps({'sys_path': sys.path, "
            "'simulator': simulator.__file__, 'reports': reports.__file__}))")
    proc = run([scripts(installed) / "python", "-c", code], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    root = str(ROOT)
    assert not any(p.rstrip("/") == root for p in seen["sys_path"]), seen["sys_path"]
    for module in ("simulator", "reports"):
        assert Path(seen[module]).is_relative_to(installed), seen[module]


def test_installed_rules_lint_finds_the_pack(installed: Path, tmp_path: Path) -> None:
    proc = run([scripts(installed) / "cutover", "rules", "lint"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no problems" in proc.stdout


def test_installed_demo_runs_from_another_folder(installed: Path, tmp_path: Path) -> None:
    proc = run([scripts(installed) / "cutover", "--quiet", "demo", "--out", "X"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / "X"
    assert {"ledger.parquet", "ledger.csv", "summary.json", "report.html"} <= {
        p.name for p in out.iterdir()}
    manifest = json.loads((out / "summary.json").read_text(encoding="utf-8"))["manifest"]
    # Rules and sample came from inside the installed package, not from this checkout.
    for path in manifest["rule_pack_files"]:
        assert Path(path).is_relative_to(installed), path
    for snap in manifest["snapshots"].values():
        assert Path(snap["path"]).is_relative_to(installed), snap["path"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="verdict"' in html
    # The demo's other runs (verify per stage, readiness, what-if) sit beside the prediction.
    assert (tmp_path / "X").is_dir()
    assert all(p.name == "X" or p.name.startswith("X-") for p in tmp_path.iterdir())
