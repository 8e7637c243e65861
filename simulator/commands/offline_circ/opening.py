"""The inputs of `cutover offline-circ check`, opened together so that every problem of every
one is reported in one pass (exit 2, nothing written): the transaction files, the scenario, the
snapshot (stage `fulfillment`: Alma after the fulfillment load) and the temporary ILL bibs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from simulator import db
from simulator.commands.offline_circ import bibs as bibs_mod
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import offline_circ, reading, snapshot, validate
from simulator.inputs import scenario as scenario_mod
from simulator.inputs.scenario import Scenario
from simulator.inputs.snapshot import Snapshot
from simulator.inputs.tables import with_references

# The snapshot tables the checks read: items and loans, and the users a patron may name.
TABLES = frozenset({"items", "loans", "users", "user_identifiers"})
STAGE = "fulfillment"
SCHEMA = "snap"
T = TypeVar("T")


@dataclass
class TxFile:
    """One transaction file: `role` is `ill` (read first) or `offline`."""

    path: Path
    role: str
    parsed: offline_circ.Parsed
    sha256: str

    @property
    def shown(self) -> str:
        return display_path(self.path)


@dataclass
class Opened:
    files: list[TxFile]  # in the order they are loaded: the ILL file first
    scenario: Scenario
    snapshot: Snapshot
    bibs: bibs_mod.Bibs | None
    warnings: list[str] = field(default_factory=list)


def _read_file(path: Path, role: str, option: str = "") -> TxFile:
    shown, named = display_path(path), f"{option}: " if option else ""
    if not path.is_file():
        what = "not found" if not path.exists() else "not a file"
        raise UserError(Problem(Loc(shown), f"{named}{what}"))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UserError(Problem(Loc(shown), f"{named}cannot read it: {e.strerror or e}")) \
            from None
    return TxFile(path, role, offline_circ.parse(data), snapshot.sha256(path))


def _try(problems: Collector, load: Callable[[], T]) -> T | None:
    try:
        return load()
    except UserError as e:
        problems.extend(e.problems)
        return None


def open_inputs(offline: Path, ill: Path | None, ill_bibs: Path | None, snap: Path,
                scenario: Path) -> Opened:
    """Read and parse every input; raise every problem together."""
    problems = Collector()
    files = [f for f in (
        _try(problems, lambda: _read_file(ill, "ill", "--ill")) if ill is not None else None,
        _try(problems, lambda: _read_file(offline, "offline")),
    ) if f is not None]
    found_scenario = _try(problems, lambda: scenario_mod.load(scenario))
    found_snap = _try(problems, lambda: snapshot.open_snapshot(snap, "alma", "--snapshot"))
    bibs = None
    if ill_bibs is not None and found_scenario is not None:
        if not found_scenario.ill_bibs:
            problems.add(Loc(found_scenario.source, 1, 1),
                         "--ill-bibs needs the fields that hold each item's barcode and location "
                         "in the temporary bibs: add `ill_bibs: {barcode: 949$b, location: "
                         "949$l}` (the fields the import profile names)")
        else:
            fields = found_scenario.ill_bibs
            bibs = _try(problems, lambda: bibs_mod.read(ill_bibs, fields))
    if ill_bibs is not None and ill is None:
        problems.add(Loc("--ill-bibs"), "given without --ill: the temporary bibs are the "
                                        "records of the ILL file's items")
    problems.raise_if_any()
    assert found_scenario is not None and found_snap is not None
    if found_snap.institution != found_scenario.institution:
        problems.add(found_snap.institution_loc,
                     f"institution {found_snap.institution!r} differs from the scenario's "
                     f"{found_scenario.institution!r} ({found_scenario.institution_loc})")
    problems.raise_if_any()
    warnings = list(found_snap.warnings)
    if found_snap.stage != STAGE:
        warnings.append(f"{display_path(found_snap.path)}: stage '{found_snap.stage}', but the "
                        f"files are checked against Alma after the fulfillment load ('{STAGE}')")
    return Opened(files, found_scenario, found_snap, bibs, warnings)


def attach(con: db.Connection, snap: Snapshot) -> None:
    """The snapshot's tables the checks read, as typed views in schema `snap`, validated (every
    problem raised together)."""
    needed = with_references(set(TABLES))
    part = snapshot.only(snap, needed)
    problems = reading.attach(con, SCHEMA, part, "alma", needed)
    problems.extend(validate.validate(con, SCHEMA, part))
    if problems:
        raise UserError(problems)
