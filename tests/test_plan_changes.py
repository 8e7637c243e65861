"""The change log of `cutover plan --changes`: every class at its exact freeze and go-live
instants, the time zone and cutoff time, the weeks counted, and every bad row located."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import db
from simulator.commands.plan import calendar, changes
from simulator.errors import UserError
from simulator.inputs.plan import Cluster, Plan
from simulator.inputs.validate import MAX_CASES

D = dt.date
EXAMPLE = Plan("CASCADE", (Cluster("1", D(2026, 6, 1), ("UWX", "OSX")),
                           Cluster("2", D(2026, 6, 12), ("LCX", "RCX", "WCX"))))
HEADER = "timestamp,institution,area,action,record_id\n"


@pytest.fixture
def con() -> Iterator[db.Connection]:
    c = db.connect()
    yield c
    c.close()


def classed(con: db.Connection, tmp_path: Path, rows: list[str],
            plan: Plan = EXAMPLE) -> list[tuple[str, str]]:
    """(record_id, class) of each row, in order."""
    path = tmp_path / "changes.csv"
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    changes.use_timezone(con, plan)
    log = changes.load(con, path, plan)
    changes.classify(con, log, plan, calendar.contexts(plan))
    return [(str(r), str(c)) for r, c in con.rows(
        f"select {log.col('record_id')}, class from {changes.CLASSED} order by _row")]


# (timestamp, institution, area, action, expected class), one second (or a microsecond) before
# and exactly on each instant where a class changes. The example: cluster 1 (UWX) freezes on
# 06-01, goes offline on 06-13, lives on 06-15; cluster 2 (LCX) freezes on 06-12, goes offline
# on 06-24, lives on 06-26.
BOUNDARIES = [
    ("2026-05-31 23:59:59.999999", "UWX", "existing_bib", "update", "migrated"),
    ("2026-06-01 00:00:00", "UWX", "existing_bib", "update", "breaks_freeze"),
    ("2026-06-14 23:59:59", "UWX", "existing_bib", "delete", "breaks_freeze"),
    ("2026-06-15 00:00", "UWX", "existing_bib", "delete", "lost"),
    ("2026-05-31 23:59:59", "LCX", "existing_bib", "update", "migrated"),
    ("2026-06-01 00:00", "LCX", "existing_bib", "update", "breaks_freeze"),
    ("2026-06-25 23:59:59", "LCX", "existing_bib", "update", "breaks_freeze"),
    ("2026-06-26 00:00", "LCX", "existing_bib", "update", "lost"),
    ("2026-05-31 23:59:59", "UWX", "new_bib", "create", "migrated"),
    ("2026-06-01 00:00", "UWX", "new_bib", "create", "lost"),
    ("2026-05-31 23:59:59", "LCX", "new_bib", "create", "migrated"),
    ("2026-06-01 00:00", "LCX", "new_bib", "create", "supply_separately"),
    ("2026-06-11 23:59:59", "LCX", "new_bib", "update", "supply_separately"),
    ("2026-06-12 00:00", "LCX", "new_bib", "create", "lost"),
    ("2026-05-31 23:59:59", "OSX", "acquisitions", "create", "migrated"),
    ("2026-06-01 00:00", "OSX", "acquisitions", "update", "lost"),
    ("2026-06-11 23:59:59", "RCX", "acquisitions", "delete", "migrated"),
    ("2026-06-12 00:00", "RCX", "acquisitions", "create", "lost"),
    ("2026-05-31 23:59:59", "UWX", "holdings_items", "update", "migrated"),
    ("2026-06-01 00:00", "UWX", "holdings_items", "delete", "lost"),
    ("2026-06-11 23:59:59", "WCX", "holdings_items", "create", "migrated"),
    ("2026-06-12 00:00", "WCX", "holdings_items", "create", "lost"),
    ("2026-06-12 23:59:59", "UWX", "loans", "create", "migrated"),
    ("2026-06-13 00:00", "UWX", "loans", "create", "lost"),
    ("2026-06-23 23:59:59", "LCX", "loans", "delete", "migrated"),
    ("2026-06-24 00:00", "LCX", "loans", "update", "lost"),
    ("2026-05-31 23:59:59", "UWX", "holds", "create", "migrated"),
    ("2026-06-01 00:00", "UWX", "holds", "create", "lost"),
    ("2026-06-11 23:59:59", "LCX", "patrons", "update", "migrated"),
    ("2026-06-12 00:00", "LCX", "patrons", "update", "lost"),
    ("2026-07-20 00:00", "WCX", "patrons", "create", "lost"),
    ("2025-01-01 00:00", "WCX", "existing_bib", "delete", "migrated"),
]


def test_every_class_at_its_boundaries(con: db.Connection, tmp_path: Path) -> None:
    rows = [f"{t},{i},{a},{x},r{n}" for n, (t, i, a, x, _) in enumerate(BOUNDARIES)]
    assert classed(con, tmp_path, rows) == [(f"r{n}", c) for n, (*_, c) in
                                            enumerate(BOUNDARIES)]


def test_patrons_and_holds_follow_offline_circulation_when_asked(
        con: db.Connection, tmp_path: Path) -> None:
    plan = Plan("C", EXAMPLE.clusters, fulfillment_freeze="offline_circulation")
    rows = ["2026-06-12 23:59:59,UWX,holds,create,a", "2026-06-13 00:00,UWX,holds,create,b",
            "2026-06-23 23:59:59,LCX,patrons,update,c", "2026-06-24 00:00,LCX,patrons,update,d",
            "2026-06-12 00:00,LCX,acquisitions,update,e"]
    assert classed(con, tmp_path, rows, plan) == [
        ("a", "migrated"), ("b", "lost"), ("c", "migrated"), ("d", "lost"), ("e", "lost")]


def test_times_are_read_in_the_plans_time_zone(con: db.Connection, tmp_path: Path) -> None:
    plan = Plan("C", EXAMPLE.clusters, timezone="America/Los_Angeles")
    # 06-01 00:00 in Los Angeles (summer time, UTC-7) is 07:00 UTC.
    rows = ["2026-05-31 23:59:59,UWX,holdings_items,update,a",
            "2026-06-01 00:00:00,UWX,holdings_items,update,b",
            "2026-06-01T06:59:59Z,UWX,holdings_items,update,c",
            "2026-06-01T07:00:00Z,UWX,holdings_items,update,d",
            "2026-06-01T08:59:59+02:00,UWX,holdings_items,update,e",
            "2026-06-01T09:00:00+0200,UWX,holdings_items,update,f",
            "2026-06-01 03:00,UWX,holdings_items,update,g"]
    assert classed(con, tmp_path, rows, plan) == [
        ("a", "migrated"), ("b", "lost"), ("c", "migrated"), ("d", "lost"), ("e", "migrated"),
        ("f", "lost"), ("g", "lost")]
    # The same text read in UTC is another instant; one with an offset is not.
    rows = ["2026-05-31 23:59:59,UWX,holdings_items,update,a",
            "2026-05-31T23:59:59-07:00,UWX,holdings_items,update,b"]
    assert classed(con, tmp_path, rows, plan) == [("a", "migrated"), ("b", "migrated")]
    assert classed(con, tmp_path, rows) == [("a", "migrated"), ("b", "lost")]


def test_the_cutoff_time_moves_every_boundary(con: db.Connection, tmp_path: Path) -> None:
    plan = Plan("C", EXAMPLE.clusters, cutoff_time=dt.time(18, 0))
    rows = ["2026-06-01 17:59:59,UWX,holdings_items,update,a",
            "2026-06-01 18:00,UWX,holdings_items,update,b",
            "2026-06-15 17:59,LCX,existing_bib,update,c",
            "2026-06-26 17:59,LCX,existing_bib,update,d",
            "2026-06-26 18:00,LCX,existing_bib,update,e",
            "2026-06-01 17:59,LCX,new_bib,create,f"]
    assert classed(con, tmp_path, rows, plan) == [
        ("a", "migrated"), ("b", "lost"), ("c", "breaks_freeze"), ("d", "breaks_freeze"),
        ("e", "lost"), ("f", "migrated")]


def test_a_wall_clock_time_skipped_by_daylight_saving(con: db.Connection,
                                                       tmp_path: Path) -> None:
    """02:30 does not exist on 2026-03-08 in Los Angeles: a cutoff and a change at that time
    both mean 03:30 summer time (the hour skipped is added)."""
    plan = Plan("C", (Cluster("1", D(2026, 3, 8), ("A",)),), timezone="America/Los_Angeles",
                cutoff_time=dt.time(2, 30))
    rows = ["2026-03-08 01:59:59,A,patrons,update,a", "2026-03-08 02:30,A,patrons,update,b",
            "2026-03-08 03:29:59,A,patrons,update,c", "2026-03-08 03:30,A,patrons,update,d"]
    assert classed(con, tmp_path, rows, plan) == [
        ("a", "migrated"), ("b", "lost"), ("c", "migrated"), ("d", "lost")]


def test_a_wall_clock_time_repeated_by_daylight_saving(con: db.Connection,
                                                        tmp_path: Path) -> None:
    """01:30 happens twice on 2026-11-01 in Los Angeles: a cutoff and a change at that time both
    mean the second, in standard time (09:30 UTC)."""
    plan = Plan("C", (Cluster("1", D(2026, 11, 1), ("A",)),), timezone="America/Los_Angeles",
                cutoff_time=dt.time(1, 30))
    rows = ["2026-11-01 01:30,A,patrons,update,a", "2026-11-01T09:29:59Z,A,patrons,update,b",
            "2026-11-01T08:30:00Z,A,patrons,update,c", "2026-11-01T09:30:00Z,A,patrons,update,d"]
    assert classed(con, tmp_path, rows, plan) == [
        ("a", "lost"), ("b", "migrated"), ("c", "migrated"), ("d", "lost")]


def test_reasons_name_the_dates(con: db.Connection, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "2026-06-05 10:00,LCX,new_bib,create,n1\n"
                             "2026-06-05 10:00,LCX,existing_bib,update,e1\n"
                             "2026-06-13 10:00,UWX,loans,create,l1\n"
                             "2026-06-10 10:00,UWX,loans,create,l2\n", encoding="utf-8")
    changes.use_timezone(con, EXAMPLE)
    log = changes.load(con, path, EXAMPLE)
    changes.classify(con, log, EXAMPLE, calendar.contexts(EXAMPLE))
    changes.write_csv(con, log, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines() == [
        "timestamp,institution,area,action,record_id,class,reason",
        "2026-06-05 10:00,LCX,new_bib,create,n1,supply_separately,\"a new bib made after the "
        "first cluster's freeze (2026-06-01) and before this cluster's own (2026-06-12): it "
        "reaches the Network Zone only if supplied separately, to be appended\"",
        "2026-06-05 10:00,LCX,existing_bib,update,e1,breaks_freeze,an existing bib changed in "
        "the legacy system during the Network Zone freeze (2026-06-01 until go-live on "
        "2026-06-26): make the change again in the Alma Network Zone",
        "2026-06-13 10:00,UWX,loans,create,l1,lost,made in the legacy system on or after the "
        "day of offline circulation (2026-06-13): nothing carries it to Alma",
        "2026-06-10 10:00,UWX,loans,create,l2,migrated,made before offline circulation "
        "(2026-06-13): the final circulation load carries it",
    ]


def test_other_columns_are_kept_in_their_place(con: db.Connection, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("_row,record_id,timestamp,area,institution,action\n"
                    "9,x1,2026-06-01 10:00,loans,UWX,create\n"
                    "1,x2,2026-06-20 10:00,loans,UWX,create\n", encoding="utf-8")
    changes.use_timezone(con, EXAMPLE)
    log = changes.load(con, path, EXAMPLE)
    changes.classify(con, log, EXAMPLE, calendar.contexts(EXAMPLE))
    changes.write_csv(con, log, tmp_path / "out.csv")
    assert [line.split(",")[:3] + line.split(",")[6:7] for line in
            (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()] == [
        ["_row", "record_id", "timestamp", "class"], ["9", "x1", "2026-06-01 10:00", "migrated"],
        ["1", "x2", "2026-06-20 10:00", "lost"]]


def test_counts_per_institution_and_week(con: db.Connection, tmp_path: Path) -> None:
    rows = ["2026-05-31 23:59,UWX,loans,create,a",  # before week 1
            "2026-06-01 00:00,UWX,loans,create,b",  # week 1
            "2026-06-07 23:59,UWX,loans,create,c",  # week 1
            "2026-06-08 00:00,UWX,loans,create,d",  # week 2
            "2026-06-28 23:59,LCX,loans,create,e",  # week 4, the last (offline: lost)
            "2026-06-29 00:00,LCX,loans,create,f",  # after
            "2026-06-29 00:00,LCX,holds,create,g"]  # after
    classed(con, tmp_path, rows)
    log = changes.ChangeLog(tmp_path / "changes.csv", tuple(HEADER.strip().split(",")), 7)
    counts = changes.counts(con, log, calendar.weeks(EXAMPLE))
    assert counts.cells == [("LCX", 4, "lost", 1), ("LCX", 5, "lost", 2),
                            ("UWX", 0, "migrated", 1), ("UWX", 1, "migrated", 2),
                            ("UWX", 2, "migrated", 1)]
    assert counts.by_class == {"lost": 3, "migrated": 4}


# -- bad change logs ------------------------------------------------------------------------------


def problems(con: db.Connection, tmp_path: Path, text: str | bytes) -> list[str]:
    path = tmp_path / "changes.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    changes.use_timezone(con, EXAMPLE)
    with pytest.raises(UserError) as e:
        changes.load(con, path, EXAMPLE)
    return [f"{p.loc.line}:{p.loc.col}: {p.message}" if p.loc.line else f"-: {p.message}"
            for p in e.value.problems]


def test_bad_rows_are_located(con: db.Connection, tmp_path: Path) -> None:
    text = HEADER + ("2026-06-01,UWX,loans,create,a\n"
                     "2026-02-30 10:00,UWX,loans,create,b\n"
                     "yesterday,UWX,loans,create,c\n"
                     ",UWX,loans,create,d\n"
                     "\n"
                     "2026-06-01 10:00,UWY,loans,create,e\n"
                     "2026-06-01 10:00,UWX,Loans,renew,f\n"
                     "2026-06-01 10:00,UWX,existing_bib,create,g\n"
                     "\"2026-06-01 10:00\",,patron,,\"two\nlines\"\n"
                     "2026-06-01 10:00:00+02:00,UWX,loans,create,h\n")
    assert problems(con, tmp_path, text) == [
        "2:1: timestamp '2026-06-01' is not a date and time (YYYY-MM-DD HH:MM or HH:MM:SS, "
        "optionally with Z or an offset such as +02:00)",
        "3:1: timestamp '2026-02-30 10:00' is not a date and time (YYYY-MM-DD HH:MM or "
        "HH:MM:SS, optionally with Z or an offset such as +02:00)",
        "4:1: timestamp 'yesterday' is not a date and time (YYYY-MM-DD HH:MM or HH:MM:SS, "
        "optionally with Z or an offset such as +02:00)",
        "5:1: timestamp is empty",
        "7:2: institution 'UWY' is not in the plan (did you mean 'UWX'?)",
        "8:3: area 'Loans' is not one of acquisitions, existing_bib, new_bib, holdings_items, "
        "loans, holds, patrons (did you mean 'loans'?)",
        "8:4: action 'renew' is not one of create, update, delete",
        "9:4: action 'create' with area existing_bib: an existing bib is updated or deleted; a "
        "new one is area new_bib",
        "10:2: institution is empty",
        "10:3: area 'patron' is not one of acquisitions, existing_bib, new_bib, holdings_items, "
        "loans, holds, patrons (did you mean 'patrons'?)",
        "10:4: action is empty",
    ]


def test_a_good_row_of_each_form_passes(con: db.Connection, tmp_path: Path) -> None:
    rows = ["2026-06-01 10:00,UWX,loans,create,a", "2026-06-01T10:00:00,UWX,loans,create,b",
            "2026-06-01 10:00:00.5Z,UWX,loans,create,c", "2026-06-01 10:00-07,UWX,loans,create,",
            "2026-06-01 05:29:59.123456+05:30,UWX,patrons,delete,e"]
    assert [c for _, c in classed(con, tmp_path, rows)] == ["migrated"] * 5


def test_many_bad_rows_are_listed_up_to_a_limit(con: db.Connection, tmp_path: Path) -> None:
    text = HEADER + "".join(f"2026-06-01 10:00,NOPE{i},loans,create,x\n" for i in range(30))
    found = problems(con, tmp_path, text)
    assert len(found) == MAX_CASES + 1
    assert found[0] == f"-: institution: only the first {MAX_CASES} of 30 bad rows are listed"
    assert found[1] == "2:2: institution 'NOPE0' is not in the plan"
    assert found[-1] == f"{MAX_CASES + 1}:2: institution 'NOPE{MAX_CASES - 1}' is not in the plan"


def test_a_bad_header(con: db.Connection, tmp_path: Path) -> None:
    assert problems(con, tmp_path, "timestamp,instituton,area,area,class,record\n") == [
        "1:1: no column 'action'; the header has: timestamp, instituton, area, area, class, "
        "record",
        "1:1: no column 'institution' (did you mean 'instituton'?); the header has: timestamp, "
        "instituton, area, area, class, record",
        "1:1: no column 'record_id' (did you mean 'record'?); the header has: timestamp, "
        "instituton, area, area, class, record",
        "1:4: column 'area' appears twice in the header",
        "1:5: the input has a column 'class': changes.csv adds it; rename the input's",
    ]
    assert problems(con, tmp_path, 'timestamp,"institution"x,area\n') == [
        "1:1: the header row is not valid CSV (',' expected after '\"'): quote a column name "
        "whole"]
    assert problems(con, tmp_path, "timestamp,instit\xe9tion\n".encode("latin-1")) == [
        "1:2: byte 0xE9 is not UTF-8 text: save the file as CSV UTF-8"]
    assert problems(con, tmp_path, "\n") == [
        "1:1: empty file: expected a header row naming the columns timestamp, institution, "
        "area, action, record_id"]


def test_a_file_that_cannot_be_read(con: db.Connection, tmp_path: Path) -> None:
    assert problems(con, tmp_path, HEADER + "2026-06-01 10:00,UWX,loans\n") == [
        "2:4: line has 3 fields but the header names 5 (is a value missing, or the line "
        "broken in two?)"]
    assert problems(con, tmp_path, HEADER + "\n2026-06-01 10:00,UWX,loans,create,a,b\n") == [
        "3:6: line has 6 fields but the header names 5 (a value holding a comma must be in "
        "double quotes)"]
    assert problems(con, tmp_path, HEADER + "2026-06-01 10:00,UWX,loans,create,\"a\n") == [
        "2:5: a quoted field is never closed (a \" opens it, another \" must close it)"]
    bad = (HEADER + "2026-06-01 10:00,UWX,loans,create,Gen\xe8ve\n").encode("latin-1")
    assert problems(con, tmp_path, bad) == [
        "2:5: byte 0xE8 is not UTF-8 text: save the file as CSV UTF-8"]
    missing = tmp_path / "nope.csv"
    with pytest.raises(UserError, match="nope.csv: file not found"):
        changes.load(con, missing, EXAMPLE)


def test_a_line_with_many_fields_and_mixed_line_ends(con: db.Connection, tmp_path: Path) -> None:
    assert problems(con, tmp_path, HEADER + "2026-06-01 10:00,UWX,loans,create,a,b,c,d\n") == [
        "2:6: line has 8 fields but the header names 5 (a value holding a comma must be in "
        "double quotes)"]
    assert problems(con, tmp_path, HEADER + "2026-06-01 10:00\n") == [
        "2:2: line has 1 field but the header names 5 (is a value missing, or the line broken "
        "in two?)"]
    assert problems(con, tmp_path, HEADER + "2026-06-01 10:00,UWX,loans,create,a\r\n") == [
        "2:36: the file mixes line ends (Windows CRLF and Unix LF): this line ends in CRLF, the "
        "first line in LF; save it again with one kind"]


def test_a_time_zone_duckdb_does_not_know_is_the_plans_mistake(con: db.Connection) -> None:
    plan = Plan("C", EXAMPLE.clusters, timezone="Mars/Olympus")
    with pytest.raises(UserError, match="time zone 'Mars/Olympus' is not known to DuckDB"):
        changes.use_timezone(con, plan)
