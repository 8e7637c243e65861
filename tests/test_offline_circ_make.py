"""`cutover offline-circ make` (docs/offline-circ.md, "Writing a file"): a CSV of transactions
into an offline circulation file; every row it cannot represent refused at its row and column,
all at once, exit 2, nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from simulator.cli import app
from simulator.inputs import offline_circ, offline_circ_csv

HEADER = "timestamp,type,barcode,patron\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths in messages are shown relative to the working folder


def make(tmp_path: Path, text: str | bytes, *extra: str) -> Result:
    src = tmp_path / "transactions.csv"
    if isinstance(text, str):
        src.write_text(text, encoding="utf-8")
    else:
        src.write_bytes(text)
    return CliRunner().invoke(app, ["--quiet", "offline-circ", "make", str(src), "--out",
                                    str(tmp_path / "OffCirc.dat"), *extra])


def errors(result: Result) -> list[str]:
    return [line.removeprefix("error ") for line in result.output.splitlines()
            if line.startswith("error ")]


def test_a_csv_becomes_a_file_with_crlf_line_ends(tmp_path: Path) -> None:
    result = make(tmp_path, HEADER + "2026-03-13 10:15,L,39031025815804,0012345\n"
                                     "202603131020, r ,39031025815804,\n"
                                     "\n"
                                     "2026-03-13T10:25:00,L,3903, jsmith \n")
    assert result.exit_code == 0, result.output
    assert "3 transactions written" in result.output
    assert (tmp_path / "OffCirc.dat").read_bytes() == (
        b"202603131015L" + b"39031025815804".ljust(80) + b"0012345\r\n"
        b"202603131020R39031025815804\r\n"
        b"202603131025L" + b"3903".ljust(80) + b"jsmith\r\n")


def test_columns_in_any_order_and_lf_line_ends(tmp_path: Path) -> None:
    result = make(tmp_path, "\ufeffPatron,Barcode,Type,Timestamp\nP1,1,L,2026-03-13 10:15\n",
                  "--line-end", "lf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "OffCirc.dat").read_text() == "202603131015L" + "1".ljust(80) + "P1\n"


def test_every_row_it_cannot_represent_is_refused_located_and_nothing_written(
        tmp_path: Path) -> None:
    result = make(tmp_path, HEADER
                  + "2026-03-13 10:15:30,L,1,P1\n"        # line 2: seconds
                  + "13/03/2026 10:15,L,1,P1\n"           # line 3: not a timestamp
                  + "2026-03-13,L,1,P1\n"                 # line 4: a date alone
                  + "2026-03-13 10:15,X,1,P1\n"           # line 5: unknown type
                  + "2026-03-13 10:15,L,1 2,\n"           # line 6: space in barcode, no patron
                  + f"2026-03-13 10:15,R,{'9' * 81},\n"   # line 7: barcode over 80
                  + "2026-03-13 10:15,L,1\n"              # line 8: a field missing
                  + "2026-03-13 10:15+01:00,R,1,\n"       # line 9: a time zone
                  + '2026-03-13 10:15,L,1,"P\n1"\n')      # line 10: a line break in a patron
    assert result.exit_code == 2
    assert errors(result) == [
        "transactions.csv:2:1: timestamp: the file holds minutes: seconds cannot be written",
        "transactions.csv:3:1: timestamp '13/03/2026 10:15' is not a date and time "
        "(YYYY-MM-DD hh:mm, YYYY-MM-DDThh:mm or YYYYMMDDhhmm)",
        "transactions.csv:4:1: timestamp '2026-03-13' is not a date and time (YYYY-MM-DD hh:mm, "
        "YYYY-MM-DDThh:mm or YYYYMMDDhhmm)",
        "transactions.csv:5:2: type: 'X' is not L (loan) or R (return)",
        "transactions.csv:6:3: barcode: a barcode holds no spaces",
        "transactions.csv:6:4: patron: a loan needs the patron's identifier",
        "transactions.csv:7:3: barcode: 81 characters; at most 80 fit",
        "transactions.csv:8:1: 3 fields; the header names 4",
        "transactions.csv:9:1: timestamp: the file holds local time: give it without a time "
        "zone",
        "transactions.csv:10:4: patron: the patron holds U+000A, which is not text",
    ]
    assert "10 problems; nothing was written." in result.output
    assert not (tmp_path / "OffCirc.dat").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["transactions.csv"]


@pytest.mark.parametrize("header, expected", [
    ("timestamp,type,barcode\n", ["transactions.csv:1:1: missing column 'patron' (the header "
                                  "names timestamp, type, barcode, patron)"]),
    ("timestamp,typ,barcode,patron\n", [
        "transactions.csv:1:1: missing column 'type' (the header names timestamp, type, "
        "barcode, patron)",
        "transactions.csv:1:2: unknown column 'typ' (did you mean 'type'?): expected "
        "timestamp, type, barcode, patron"]),
    ("timestamp,type,barcode,patron,type\n",
     ["transactions.csv:1:5: column 'type' is named twice"]),
    ("patron,barcode,timestamp\n", [
        "transactions.csv:1:1: missing column 'type' (the header names timestamp, type, "
        "barcode, patron)"]),
])
def test_a_header_that_is_not_the_one_expected(tmp_path: Path, header: str,
                                               expected: list[str]) -> None:
    result = make(tmp_path, header + "2026-03-13 10:15,L,1,P1\n")
    assert result.exit_code == 2
    assert errors(result) == expected


def test_bytes_that_are_not_utf8_and_a_runaway_quote(tmp_path: Path) -> None:
    result = make(tmp_path, HEADER.encode() + b"2026-03-13 10:15,L,1,M\xfcller\n")
    assert errors(result) == ["transactions.csv:2:1: byte 0xFC is not UTF-8 text: save the file "
                              "as UTF-8"]
    result = make(tmp_path, HEADER + '2026-03-13 10:15,L,1,"P1\n')
    assert result.exit_code == 2
    assert errors(result)[0].startswith("transactions.csv:2:1: not a CSV file here: ")


def test_an_existing_out_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "OffCirc.dat").write_text("keep", encoding="utf-8")
    result = make(tmp_path, HEADER + "2026-03-13 10:15,R,1,\n")
    assert result.exit_code == 2
    assert errors(result) == ["OffCirc.dat: --out exists: choose a new file (a "
                              "file is never overwritten)"]
    assert (tmp_path / "OffCirc.dat").read_text(encoding="utf-8") == "keep"


def test_an_empty_file(tmp_path: Path) -> None:
    result = make(tmp_path, "")
    assert errors(result) == ["transactions.csv:1:1: the file is empty: expected a header "
                              "timestamp,type,barcode,patron, then one transaction a row"]


def test_a_missing_csv_and_a_bad_line_end(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--quiet", "offline-circ", "make", str(tmp_path / "no.csv"),
                                      "--out", str(tmp_path / "x.dat")])
    assert result.exit_code == 2
    assert errors(result) == ["no.csv: cannot read the transactions file: No such file or "
                              "directory"]
    result = make(tmp_path, HEADER, "--line-end", "cr")
    assert errors(result) == ["--line-end: must be one of crlf, lf, not 'cr'"]


def test_out_under_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "transactions.csv").write_text(HEADER, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hi\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--quiet", "offline-circ", "make", "transactions.csv",
                                      "--out", "notes.txt/OffCirc.dat"])
    assert result.exit_code == 2
    assert errors(result) == ["notes.txt/OffCirc.dat: cannot write --out: notes.txt is a file, "
                              "not a folder; choose another --out"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "transactions.csv"]


_rows = st.lists(st.tuples(
    st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 1, 1)).map(
        lambda t: t.replace(second=0, microsecond=0)),
    st.sampled_from(["L", "R"]),
    st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=80),
    st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=30),
), max_size=15)


@settings(max_examples=100, deadline=None)
@given(_rows)
def test_the_csv_round_trips_through_the_file(rows: list[tuple[dt.datetime, str, str, str]]
                                              ) -> None:
    import csv
    import io
    import tempfile

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(offline_circ_csv.COLUMNS)
    writer.writerows([(f"{t:%Y-%m-%d %H:%M}", k, b, p) for t, k, b, p in rows])
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "t.csv"
        src.write_text(buf.getvalue(), encoding="utf-8")
        read = offline_circ_csv.read(src)
    assert read == rows
    parsed = offline_circ.parse(offline_circ_csv.file_text(read).encode())
    assert [(x.at, x.kind, x.barcode, x.patron if x.kind == "L" else p)
            for x, (_, _, _, p) in zip(parsed.transactions, rows, strict=True)] == rows
