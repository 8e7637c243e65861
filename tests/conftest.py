"""Shared test helpers: build minimal snapshot folders and run the default pack over them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from simulator.core import engine
from simulator.core.session import Session
from simulator.inputs import bundle
from simulator.inputs.writing import csv_text
from simulator.rules.loader import load_pack
from simulator.rules.model import Pack

DATES = {
    "testload": "2025-09-15",
    "freeze_start": "2026-03-02",
    "clean_data_delivered": "2026-03-11",
    "fulfillment_freeze": "2026-03-13",
    "go_live": "2026-03-16",
}
BEFORE = "2026-02-01T10:00:00"  # before the freeze window
DURING = "2026-03-05T10:00:00"  # inside [freeze_start, clean_data_delivered)


@functools.cache
def default_pack() -> Pack:
    return engine.checked_pack(load_pack())


@dataclass(frozen=True)
class Row:
    outcome: str
    rule_id: str
    message: str | None


def write_snapshot(folder: Path, stage: str, tables: dict[str, list[dict[str, Any]]],
                   institution: str = "TST", extra_manifest: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "snapshot.yaml").write_text(
        f"format_version: 1\ninstitution: {institution}\nstage: {stage}\n"
        f"taken_at: 2026-03-02T07:00:00Z\n{extra_manifest}", encoding="utf-8")
    for table, rows in tables.items():
        (folder / f"{table}.csv").write_text(csv_text(table, rows), encoding="utf-8")
    return folder


def write_scenario(path: Path, options: dict[str, bool] | None = None,
                   institution: str = "TST") -> Path:
    opts = "".join(f"  {k}: {str(v).lower()}\n" for k, v in (options or {}).items())
    dates = "".join(f"  {k}: {v}\n" for k, v in DATES.items())
    text = f"institution: {institution}\ndates:\n{dates}"
    if opts:
        text += f"options:\n{opts}"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class World:
    """A tiny institution: fill `pre`, `extract` (and `testload`), then ask for the ledger."""

    root: Path
    pre: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    extract: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    testload: dict[str, list[dict[str, Any]]] | None = None
    options: dict[str, bool] = field(default_factory=dict)

    def write(self) -> tuple[Path, Path, Path, Path | None]:
        pre = write_snapshot(self.root / "freeze", "freeze", self.pre)
        extract = write_snapshot(self.root / "extract", "extract", self.extract)
        scenario = write_scenario(self.root / "scenario.yaml", self.options)
        testload = (write_snapshot(self.root / "testload", "testload", self.testload)
                    if self.testload is not None else None)
        return pre, extract, scenario, testload

    def inputs(self) -> bundle.Inputs:
        return bundle.open_inputs(*self.write())

    def session(self, rules: list[Path] | None = None, **options: Any) -> Session:
        """A Session over the written inputs (the default pack unless `rules` or `pack`)."""
        if rules is None:
            options.setdefault("pack", default_pack())
        return Session(self.inputs(), rules=rules, **options)

    def ledger(self, pack: Pack | None = None) -> dict[tuple[str, str, str], Row]:
        with self.session(pack=pack or default_pack()) as s:
            s.classification  # noqa: B018 (classifies)
            rows = s.con.rows("select side, entity, record_key, outcome, rule_id, message "
                              "from ledger")
        return {(s, e, k): Row(o, r, m) for s, e, k, o, r, m in rows}

    def result(self, pack: Pack | None = None) -> engine.Result:
        with self.session(pack=pack or default_pack()) as s:
            return s.classification


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def user(pid: str, record_type: str = "PUBLIC", **kw: Any) -> dict[str, Any]:
    row = {"primary_id": pid, "record_type": record_type, "origin": "MIGRATED",
           "internal_id": "I-" + pid.upper(), "created_at": BEFORE,
           "updated_at": BEFORE}
    row.update(kw)
    return row


def role(pid: str, role_type: str = "Patron", scope: str = "TST") -> dict[str, Any]:
    return {"primary_id": pid, "role_type": role_type, "scope": scope, "status": "ACTIVE"}


@dataclass
class Demo:
    """One `cutover demo` run of the sample, shared by the tests that read it."""

    out: Path  # the predict folder; the others are beside it
    exit_code: int
    stdout: str


@pytest.fixture(scope="session")
def sample_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    import sys

    from typer.testing import CliRunner

    from simulator.cli import app

    out = tmp_path_factory.mktemp("sample-demo") / "demo"
    args = ["--quiet", "demo", "--out", str(out)]
    with pytest.MonkeyPatch.context() as mp:  # the manifest records sys.argv
        mp.setattr(sys, "argv", ["cutover", "demo", "--out", str(out)])
        result = CliRunner().invoke(app, args)
    return Demo(out, result.exit_code, result.stdout)
