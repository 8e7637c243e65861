"""The offline circulation file's line format (docs/offline-circ.md, "The file"): every line
error with its columns and what was expected, the lines that are right, and the writer and the
parser as inverses (hypothesis)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.inputs import offline_circ
from simulator.inputs.offline_circ import LineError, Transaction, line_text, parse, parse_line

AT = dt.datetime(2026, 3, 13, 10, 15)
PAD = " " * 66  # a 14-character barcode padded to 80


def loan(barcode: str = "39031025815804", patron: str = "0012345") -> str:
    return f"202603131015L{barcode.ljust(80)}{patron}"


def test_a_loan_and_a_return_as_the_format_describes_them() -> None:
    assert parse_line(loan(), 3) == Transaction(3, AT, "L", "39031025815804", "0012345")
    assert parse_line("202603131015R39031025815804", 4) == Transaction(
        4, AT, "R", "39031025815804", "")


@pytest.mark.parametrize("line", [
    "202603131015R39031025815804     ",  # trailing spaces
    "202603131015R39031025815804" + " " * 66,  # padded to 80 like a loan
])
def test_a_return_may_end_after_the_barcode_or_carry_trailing_spaces(line: str) -> None:
    assert parse_line(line) == Transaction(1, AT, "R", "39031025815804", "")


def test_a_return_padded_like_a_loan_may_carry_a_patron() -> None:
    line = "202603131015R" + "3903".ljust(80) + "jsmith"
    assert parse_line(line) == Transaction(1, AT, "R", "3903", "jsmith")


def test_a_patron_keeps_inner_spaces_and_loses_trailing_ones() -> None:
    assert parse_line(loan(patron="howdy doody   ")) == Transaction(
        1, AT, "L", "39031025815804", "howdy doody")


def test_a_barcode_of_exactly_80_characters_is_read_whole() -> None:
    barcode = "9" * 80
    assert parse_line(f"202603131015L{barcode}P1") == Transaction(1, AT, "L", barcode, "P1")


def test_line_ends_lf_crlf_and_a_last_line_without_one() -> None:
    data = (loan() + "\r\n" + "202603131015R1\n" + "202603131016R2").encode()
    parsed = parse(data)
    assert [x.line for x in parsed.transactions] == [1, 2, 3]
    assert parsed.errors == []
    assert parse(b"").lines == []
    assert len(parse(b"202603131015R1\n").lines) == 1


@pytest.mark.parametrize("line, start, end, message", [
    # The vendor's own printed example: a 13-digit date, never read as a 12-digit one.
    ("2014010111239L33031245", 1, 13,
     "a date and time of 13 digits; expected exactly 12 (YYYYMMDDhhmm), then L or R"),
    ("2026031310L3903", 1, 12,
     "expected the date and time as 12 digits (YYYYMMDDhhmm), found '2026031310L3'"),
    ("13/03/2026 10:15 L 3903", 1, 12,
     "expected the date and time as 12 digits (YYYYMMDDhhmm), found '13/03/2026 1'"),
    ("202613131015R3903", 5, 6, "impossible date: month 13"),
    ("202600131015R3903", 5, 6, "impossible date: month 00"),
    ("202602301015R3903", 7, 8, "impossible date: day 30 of February 2026"),
    ("202603001015R3903", 7, 8, "impossible date: day 00 of March 2026"),
    ("202603132415R3903", 9, 10, "impossible time: hour 24"),
    ("202603131060R3903", 11, 12, "impossible time: minute 60"),
    ("000003131015R3903", 1, 4, "impossible date: year 0000"),
    ("202603131015", 13, 13, "the line ends after the date; expected L (loan) or R (return), "
                             "then the barcode"),
    ("202603131015X3903", 13, 13,
     "unknown transaction type 'X'; expected L (loan) or R (return)"),
    ("202603131015l3903", 13, 13,
     "unknown transaction type 'l'; expected L (loan) or R (return)"),
    ("202603131015R" + "9" * 81, 14, 94,
     "an item barcode of 81 characters; at most 80 fit (columns 14-93)"),
    ("202603131015R", 14, 14, "missing item barcode: expected it from column 14"),
    ("202603131015R   ", 14, 16, "missing item barcode: expected it from column 14"),
    ("202603131015R 3903", 14, 14,
     "the item barcode must start at column 14, found a space there"),
    ("202603131015R3903 P1", 19, 20, "unexpected text 'P1' after the return's barcode: a return "
                                     "ends after the barcode (a patron, if any, starts at "
                                     "column 94)"),
    ("202603131015L3903", 18, 94, "missing patron on a loan: expected the patron's identifier "
                                  "(Primary ID, user identifier or username) at column 94"),
    ("202603131015L" + "3903".ljust(80) + "   ", 94, 94,
     "missing patron on a loan: expected the patron's identifier (Primary ID, user identifier "
     "or username) at column 94"),
    ("202603131015L3903 0012345", 18, 25, "the loan line ends at column 25: pad the barcode "
                                          "with spaces to 80 characters, so the patron starts "
                                          "at column 94"),
    ("202603131015L" + "39 03".ljust(80) + "P1", 16, 16,
     "a space inside the item barcode '39 03': a barcode holds no spaces"),
    ("202603131015L" + " " * 80 + "P1", 14, 93, "missing item barcode: expected it from column 14"),
    ("202603131015L 3903" + " " * 75 + "P1", 14, 14,
     "the item barcode must start at column 14, found a space there"),
    ("202603131015L" + "3903".ljust(81) + "P1", 94, 94,
     "the patron must start at column 94, found spaces there (the barcode padded past 80 "
     "characters?)"),
    ("202603131015L3903\t" + PAD + "P1", 18, 18,
     "a tab: the file has fixed columns padded with spaces"),
    ("202603131015R39\x0003", 16, 16, "the control character U+0000: a line holds text only"),
    ("\ufeff202603131015R3903", 1, 1, "a byte order mark: a line holds text only"),
    ("202603131015R3903\r", 18, 18, "the control character U+000D: a line holds text only"),
    ("", 1, 1, "an empty line; expected a transaction (YYYYMMDDhhmm, L or R, the item barcode)"),
])
def test_every_line_error_names_its_columns_and_what_was_expected(
        line: str, start: int, end: int, message: str) -> None:
    assert parse_line(line, 7) == LineError(7, start, end, message)


def test_an_error_reads_with_its_columns() -> None:
    assert str(LineError(1, 1, 13, "x")) == "columns 1-13: x"
    assert str(LineError(1, 13, 13, "y")) == "column 13: y"


def test_bytes_that_are_not_utf8_are_located_at_their_column() -> None:
    parsed = parse("202603131015R39é".encode() + b"\xff1\r\n")
    assert parsed.lines == [LineError(1, 17, 17, "byte 0xFF is not UTF-8 text (the file is "
                                                 "read as UTF-8, of which ASCII is a part)")]


def test_utf8_text_in_a_patron_is_read() -> None:
    line = loan(patron="müller")
    assert parse(line.encode("utf-8")).lines == [Transaction(1, AT, "L", "39031025815804",
                                                             "müller")]


def test_each_line_is_reported_on_its_own() -> None:
    data = b"202603131015R1\n2014010111239L33031245\n\n202603131015R2\r\n"
    lines = parse(data).lines
    assert [type(x).__name__ for x in lines] == ["Transaction", "LineError", "LineError",
                                                 "Transaction"]
    assert [x.line for x in lines] == [1, 2, 3, 4]


# -- the writer ---------------------------------------------------------------------------------

def test_the_writer_pads_a_loan_and_ends_a_return_after_its_barcode() -> None:
    assert line_text(AT, "L", "39031025815804", "0012345") == loan()
    assert line_text(AT, "R", "39031025815804", "ignored") == "202603131015R39031025815804"
    assert len(line_text(AT, "L", "1", "P")) == 94


@pytest.mark.parametrize("at, kind, barcode, patron, found", [
    (AT.replace(second=5), "L", "1", "P", [("timestamp", "the file holds minutes: seconds "
                                                         "cannot be written")]),
    (AT.replace(tzinfo=dt.UTC), "R", "1", "", [("timestamp", "the file holds local time: give "
                                                             "it without a time zone")]),
    (AT, "X", "1", "P", [("type", "'X' is not L (loan) or R (return)")]),
    (AT, "R", "", "", [("barcode", "an item barcode is required")]),
    (AT, "R", "1 2", "", [("barcode", "a barcode holds no spaces")]),
    (AT, "R", "9" * 81, "", [("barcode", "81 characters; at most 80 fit")]),
    (AT, "R", "1\t2", "", [("barcode", "the barcode holds U+0009, which is not text")]),
    (AT, "L", "1", "", [("patron", "a loan needs the patron's identifier")]),
    (AT, "L", "1", " P1", [("patron", "leading or trailing spaces would be lost")]),
    (AT, "L", "1", "P\n1", [("patron", "the patron holds U+000A, which is not text")]),
    (AT, "L", "9" * 80, "P1", []),
    (AT, "R", "1", "", []),
])
def test_the_writer_refuses_what_the_file_cannot_hold(
        at: dt.datetime, kind: str, barcode: str, patron: str,
        found: list[tuple[str, str]]) -> None:
    assert offline_circ.unwritable(at, kind, barcode, patron) == found


# -- properties ---------------------------------------------------------------------------------

_text = st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Cs"), blacklist_characters="\ufeff")
_barcodes = st.text(_text.filter(lambda c: c != " "), min_size=1, max_size=80)
_patrons = st.text(_text, min_size=1, max_size=40).filter(lambda p: p == p.strip(" "))
_times = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)
                      ).map(lambda t: t.replace(second=0, microsecond=0))
_transactions = st.one_of(
    st.tuples(_times, st.just("L"), _barcodes, _patrons),
    st.tuples(_times, st.just("R"), _barcodes, st.just("")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_transactions, max_size=20), st.sampled_from(["\n", "\r\n"]))
def test_what_the_writer_writes_the_parser_reads_back(
        rows: list[tuple[dt.datetime, str, str, str]], end: str) -> None:
    for row in rows:
        assert offline_circ.unwritable(*row) == []
    data = "".join(line_text(*row) + end for row in rows).encode("utf-8")
    parsed = parse(data)
    assert parsed.errors == []
    assert [(t.at, t.kind, t.barcode, t.patron) for t in parsed.transactions] == rows


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_line_by_line_without_raising(data: bytes) -> None:
    parsed = parse(data)  # never raises: every line is a Transaction or a LineError
    expected = len(data.split(b"\n")) - (1 if data.endswith(b"\n") else 0) if data else 0
    assert len(parsed.lines) == expected
    for x in parsed.errors:
        assert 1 <= x.start <= x.end and x.message


_mutated = st.builds(lambda base, i, ch: base[:i] + ch + base[i + 1:],
                     st.sampled_from([loan(), "202603131015R3903", "202603131015R" + "3" * 80]),
                     st.integers(0, 100), st.characters())


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=200), _mutated))
def test_any_text_line_is_a_transaction_or_a_located_error(line: str) -> None:
    x = parse_line(line)
    if isinstance(x, Transaction):
        again = line_text(x.at, x.kind, x.barcode, x.patron)
        if x.kind == "R" and x.patron:  # a return's patron is read but never written
            again = again.ljust(offline_circ.PATRON_COLUMN - 1) + x.patron
        assert again == line.rstrip(" ")
    else:
        assert 1 <= x.start <= x.end <= max(len(line), offline_circ.PATRON_COLUMN)
