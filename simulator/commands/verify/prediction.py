"""A saved predict run as verify reads it: its ledger, and the inputs it was made from (the
snapshots and scenario its manifest names), and a Session over those inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import db
from simulator.commands import diff
from simulator.core.engine import LEDGER_COLUMNS
from simulator.core.session import Session
from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import bundle, snapshot
from simulator.inputs.scenario import DEFAULT_SCRUBBED, Scenario
from simulator.inputs.snapshot import Snapshot
from simulator.inputs.tables import SCHEMA_SIDE
from simulator.output import runfolder

ROLE = "--prediction"


@dataclass
class Prediction:
    """A saved predict run: its ledger and the inputs it was made from."""

    run: Path
    summary: dict[str, Any]
    inputs: bundle.Inputs
    warnings: list[str]
    unchanged: frozenset[str] = frozenset()  # inputs byte-identical to those predict validated
    # The ledger file when its columns are the ledger's, no more and in order: a run folder
    # keeping every record of it copies the file instead of writing it again.
    ledger_file: Path | None = None

    @property
    def ledger(self) -> str:
        """SQL reading the prediction's ledger (in its order: by side, entity and key)."""
        return f"read_parquet({db.literal(str(self.run / 'ledger.parquet'))})"

    @property
    def rule_pack_hash(self) -> str | None:
        return self.summary.get("manifest", {}).get("rule_pack_hash")


def scenario_from_manifest(data: dict[str, Any]) -> Scenario:
    return Scenario(
        institution=str(data.get("institution", "")),
        dates={k: dt.datetime.fromisoformat(v) for k, v in data.get("dates", {}).items()},
        options=dict(data.get("options", {})),
        allowed_emails=list(data.get("allowed_emails", [])),
        scrubbed_email_pattern=str(data.get("scrubbed_email_pattern") or DEFAULT_SCRUBBED),
        source="prediction manifest",
    )


def open_prediction(run: Path) -> Prediction:
    """The predict run folder `run`; every problem of it and of its inputs together."""
    shown = display_path(run)
    summary = _run_folder(run).summary
    summary_path, ledger_path = run / runfolder.SUMMARY, run / diff.LEDGER
    if summary.get("kind") != "predict":
        raise UserError(Problem(Loc(display_path(summary_path)),
                                f"a {summary.get('kind')!r} run, not a predict run"))
    exact = _check_ledger(ledger_path) == list(LEDGER_COLUMNS)
    manifest = summary.get("manifest", {})
    if manifest.get("pseudonymized"):
        raise UserError(Problem(Loc(shown), "the prediction was pseudonymised; verify needs "
                                            "the real keys (predict again without --pseudonymize)"))
    opened, warnings, unchanged = _snapshots(manifest.get("snapshots", {}))
    if "pre" not in opened or "extract" not in opened:
        raise UserError(Problem(Loc(shown), "the prediction's manifest names no pre and extract "
                                            "snapshots"))
    inputs = bundle.Inputs(opened["pre"], opened["extract"],
                           scenario_from_manifest(manifest.get("scenario", {})),
                           opened.get("testload"))
    return Prediction(run, summary, inputs, warnings, frozenset(unchanged),
                      ledger_path if exact else None)


def _run_folder(run: Path) -> diff.RunFolder:
    """`run` opened as `cutover diff` opens a run folder (one not found, with no summary or
    no ledger, a what-if folder and its runs named); a file given for it is said to be one."""
    shown = display_path(run)
    if run.is_file():
        given = (f" (give the folder it is in, {display_path(run.parent)})"
                 if (run.parent / runfolder.SUMMARY).is_file() else "")
        raise UserError(Problem(Loc(shown), f"{ROLE}: a file, not a predict run folder{given}"))
    problems = Collector()
    found = diff.open_run(run, ROLE, problems, use="give one of its runs, e.g. "
                          "{run}/variants/base or {run}/variants/<name>")
    problems.raise_if_any()
    assert found is not None  # open_run adds a problem when it finds none
    return found


def _check_ledger(path: Path) -> list[str]:
    """The ledger must be a Parquet file with the ledger's columns (a copy cut short is not);
    returns its columns."""
    shown = display_path(path)
    con = db.connect()
    try:
        columns = con.columns(f"read_parquet({db.literal(str(path))})")
    except db.DuckDBError as e:
        detail = str(e).strip().splitlines()[0].split("Error: ", 1)[-1]
        raise UserError(Problem(Loc(shown), f"cannot read the prediction's ledger ({detail}): "
                                            "is the file complete? Predict again")) from None
    finally:
        con.close()
    missing = [c for c in LEDGER_COLUMNS if c not in columns]
    if missing:
        raise UserError(Problem(Loc(shown), "not the ledger of a predict run (no column "
                                            f"{', '.join(missing)})"))
    return [str(c) for c in columns]


def _snapshots(snaps: dict[str, Any]) -> tuple[dict[str, Snapshot], list[str], set[str]]:
    """The snapshots a manifest names, opened; warnings for those changed since, and the names
    of those unchanged."""
    problems = Collector()
    opened: dict[str, Snapshot] = {}
    warnings = []
    unchanged = set()
    for name, side in SCHEMA_SIDE.items():
        if name not in snaps:
            continue
        path = Path(snaps[name]["path"])
        if not path.is_dir() and snaps[name].get("location"):
            path = Path(snaps[name]["location"])  # verify runs from another folder
        try:
            opened[name] = snapshot.open_snapshot(path, side, f"{name} of the prediction")
        except UserError as e:
            problems.extend(e.problems)
            continue
        if opened[name].file_hashes() != snaps[name].get("files"):
            warnings.append(f"{display_path(path)}: files changed since the prediction was made")
        else:
            unchanged.add(name)
    problems.raise_if_any()
    return opened, warnings, unchanged


def prediction_session(prediction: Prediction, rules: list[Path] | None = None,
                       memory_limit: str | None = None,
                       progress: Callable[[str], None] | None = None) -> Session:
    """A Session over the inputs `prediction` was made from; those byte-identical to the ones
    predict validated are not validated again."""
    options: dict[str, Any] = {"progress": progress} if progress is not None else {}
    return Session(prediction.inputs, rules, memory_limit, trusted=prediction.unchanged,
                   **options)
