"""Session.need in steps: the tables asked for later are validated against the tables they
refer to that an earlier call attached (the Python API's way of reading a few tables first)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simulator.core.session import Session
from simulator.errors import UserError, display_path
from simulator.inputs import snapshot, validate
from simulator.synth.sample import sample_dir

SAMPLE = sample_dir()


def _session(freeze: Path) -> Session:
    return Session.open(freeze, SAMPLE / "extract", SAMPLE / "scenario.yaml",
                        SAMPLE / "testload")


def test_a_reference_to_a_table_attached_earlier_is_found() -> None:
    with _session(SAMPLE / "freeze") as session:
        session.need({"pre": {"users"}})
        session.need({"pre": {"user_roles"}})
        assert session.con.one("select count(*) from pre.user_roles") == 2809
        # the rest of the inputs, as predict reads them: no table is missed or refused
        assert session.classification.rows == 18562


def test_a_reference_missing_from_a_table_attached_earlier_is_reported(tmp_path: Path) -> None:
    freeze = tmp_path / "freeze"
    shutil.copytree(SAMPLE / "freeze", freeze)
    with (freeze / "user_roles.csv").open("a", encoding="utf-8") as f:
        f.write("ghost,Cataloger,NFU,ACTIVE\n")
    with _session(freeze) as session:
        session.need({"pre": {"users"}})
        with pytest.raises(UserError) as caught:
            session.need({"pre": {"user_roles"}})
    assert [str(p) for p in caught.value.problems] == [
        f"{display_path(freeze / 'user_roles.csv')}:2811:1: column primary_id: 'ghost' is not "
        "a primary_id present in users (users.csv)"]


def test_the_same_files_under_another_schema_are_validated_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify's post and baseline snapshots can be the same folder (the demo's fulfillment
    check): its verdict is kept by file, and a file changed since is validated again."""
    post = tmp_path / "post-cutover"
    shutil.copytree(SAMPLE / "post-cutover", post)
    validated: list[str] = []
    real = validate.validate
    monkeypatch.setattr(validate, "validate", lambda con, schema, snap, tables=None:
                        validated.append(schema) or real(con, schema, snap, tables))
    with _session(SAMPLE / "freeze") as session:
        for schema in ("post", "base"):
            session.add_snapshot(schema, snapshot.open_snapshot(post, "alma"), "alma")
            session.need({schema: {"users"}})
        assert validated == ["post"]
        (post / "users.csv").write_text("primary_id,record_type\nu1,PUBLIC\n", encoding="utf-8")
        session.add_snapshot("base", snapshot.open_snapshot(post, "alma"), "alma")
        session.need({"base": {"users"}})
        assert validated == ["post", "base"]
