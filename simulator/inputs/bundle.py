"""The inputs of a run: snapshots and scenario opened together, so that every problem of every
input is reported in one pass (the Session then attaches and validates them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.errors import Collector, UserError
from simulator.inputs import snapshot
from simulator.inputs.scenario import Scenario
from simulator.inputs.snapshot import Snapshot


@dataclass
class Inputs:
    pre: Snapshot
    extract: Snapshot
    scenario: Scenario
    testload: Snapshot | None = None

    def snapshots(self) -> dict[str, Snapshot]:
        out = {"pre": self.pre, "extract": self.extract}
        if self.testload:
            out["testload"] = self.testload
        return out

    def warnings(self) -> list[str]:
        return [w for s in self.snapshots().values() for w in s.warnings]


def open_inputs(pre: Path, extract: Path, scenario_path: Path,
                testload: Path | None = None) -> Inputs:
    """Read manifests and the scenario; every problem of every input is reported together."""
    from simulator.inputs import scenario as scenario_mod

    problems = Collector()
    found: dict[str, Any] = {}
    loaders: list[tuple[str, Any]] = [
        ("pre", lambda: snapshot.open_snapshot(pre, "alma", "--pre")),
        ("extract", lambda: snapshot.open_snapshot(extract, "extract", "--extract")),
        ("scenario", lambda: scenario_mod.load(scenario_path)),
    ]
    if testload is not None:
        loaders.append(("testload", lambda: snapshot.open_snapshot(testload, "alma", "--testload")))
    for name, load in loaders:
        try:
            found[name] = load()
        except UserError as e:
            problems.extend(e.problems)
    if not problems.problems:
        inputs = Inputs(found["pre"], found["extract"], found["scenario"], found.get("testload"))
        inst = inputs.scenario.institution
        for snap in inputs.snapshots().values():
            if snap.institution != inst:
                where = inputs.scenario.institution_loc
                problems.add(snap.institution_loc,
                             f"institution {snap.institution!r} differs from the scenario's "
                             f"{inst!r}" + (f" ({where})" if where.path else ""))
    if problems.problems:
        _read_opened(found, problems)
    problems.raise_if_any()
    return inputs


def _read_opened(found: dict[str, Any], problems: Collector) -> None:
    """The problems of the snapshots that did open, read and validated as `cutover snapshot
    validate` does, beside those of the inputs that did not: one run shows everything there
    is to fix."""
    from simulator.inputs import validate

    for name in ("pre", "extract", "testload"):
        if isinstance(found.get(name), Snapshot):
            problems.extend(validate.check_snapshot(found[name])[0])
