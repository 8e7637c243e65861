"""The habits that keep the code easy to take over (docs/architecture.md, "Habits"): no function
over 60 lines and no module over 500 in `simulator/` and `reports/`, `reports/` never imports
`simulator`, no Python module names a rule id of the default pack, and the dependencies between
the packages of `simulator/` point one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from simulator.rules.loader import load_pack

ROOT = Path(__file__).resolve().parent.parent
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
# Each package may import only those below it (db and errors are the foundation of all).
LAYERS = {
    "api": {"commands", "core", "rules", "inputs", "output", "synth"},
    "cli": {"commands", "core", "rules", "inputs", "output", "synth", "importers"},
    "importers": {"inputs", "output"},
    "commands": {"core", "rules", "inputs", "output"},
    "synth": {"inputs"},
    "core": {"rules", "inputs", "output"},
    "output": {"inputs"},
    "rules": {"inputs"},
    "inputs": set(),
}


def sources() -> list[Path]:
    return sorted(p for d in ("simulator", "reports") for p in (ROOT / d).rglob("*.py"))


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(root)}:{f.lineno} {f.name} ({f.end_lineno - f.lineno + 1} lines)"
            for f in functions(tree)
            if f.end_lineno is not None and f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module:
            names.add(n.module)
            names |= {f"{n.module}.{a.name}" for a in n.names}
    return names


def test_no_function_over_60_lines() -> None:
    assert [line for p in sources() for line in long_functions(p)] == []


def test_no_module_over_500_lines() -> None:
    long = [f"{p.relative_to(ROOT)} ({n} lines)" for p in sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert long == []


def test_the_length_check_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    path = tmp_path / "f.py"
    path.write_text(f"def short():\n{body}\n\n\ndef long():\n{body}\n    y = 0\n",
                    encoding="utf-8")
    assert long_functions(path, tmp_path) == [f"f.py:{MAX_FUNCTION_LINES + 3} long (61 lines)"]


def test_reports_never_import_simulator() -> None:
    bad = [f"{p.relative_to(ROOT)}: {m}" for p in (ROOT / "reports").rglob("*.py")
           for m in imported(p) if m == "simulator" or m.startswith("simulator.")]
    assert bad == []


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_dependencies_point_one_way(package: str) -> None:
    allowed = LAYERS[package] | {package}
    bad = []
    for path in (ROOT / "simulator" / package).rglob("*.py"):
        for module in imported(path):
            parts = module.split(".")
            if parts[0] == "simulator" and len(parts) > 1 and parts[1] in LAYERS \
                    and parts[1] not in allowed:
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    assert bad == []


def test_no_python_module_names_a_rule_id() -> None:
    ids = {r.id for _, r in load_pack().rules()}
    found = []
    for path in sources():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in re.finditer(r"['\"]([a-z_]+\.[a-z0-9-]+)['\"]", line):
                if m.group(1) in ids:
                    found.append(f"{path.relative_to(ROOT)}:{i}: {m.group(1)}")
    assert found == []
