"""The default DuckDB memory limit: 1 GB, or half the machine when that is less, never under
256 MB; CUTOVER_MEMORY_LIMIT and --memory-limit override it."""

from __future__ import annotations

import pytest

from simulator import db

GB = 1 << 30


@pytest.mark.parametrize(("machine", "limit"), [
    (64 * GB, "1024MB"),  # a large server: still 1 GB (a 5M-user run needs no more)
    (16 * GB, "1024MB"),
    (GB * 3 // 2, "768MB"),  # half of a small container
    (256 << 20, "256MB"),  # never under 256 MB
])
def test_default_limit(monkeypatch: pytest.MonkeyPatch, machine: int, limit: str) -> None:
    monkeypatch.delenv("CUTOVER_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(db, "machine_memory", lambda: machine)
    assert db.default_memory_limit() == limit


def test_environment_and_option_override_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_MEMORY_LIMIT", "3GB")
    assert db.default_memory_limit() == "3GB"
    con = db.connect("700MB")
    try:
        assert con.one("select current_setting('memory_limit')") == "667.5 MiB"
    finally:
        con.close()


def test_binding_sql_does_not_change_the_limit_messages_cite(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Lint's Binder opens its own connection (once per process, over empty tables): an
    out-of-memory message after it still names the run's limit, not the default."""
    from simulator.rules.sqlcheck import Binder

    monkeypatch.setenv("CUTOVER_MEMORY_LIMIT", "3GB")
    monkeypatch.setattr(Binder, "_con", None)
    run = db.connect("700MB")
    try:
        assert Binder().type("select count(*) from pre.users") == ("BIGINT", None)
        assert db.memory_limit_in_use() == "700MB"
        first = Binder._con
        assert Binder().type("select count(*) from post.users") == ("BIGINT", None)
        assert Binder._con is first  # attached once, not again for each lint
    finally:
        run.close()
