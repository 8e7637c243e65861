"""The sample's offline circulation files (sample_data/offline-circ/, docs/offline-circ.md) and
a busy file for the benchmark, made from Alma after the sample's fulfillment load, so that the
barcodes and patrons are the sample's own.

The sample files carry a few deliberate mistakes, each found by `cutover offline-circ check`
(tests/test_offline_circ_sample.py asserts them by line):

OffCirc.dat (CRLF line ends; lines 1-14 are right, and are transactions.csv)
- line 15: the vendor's printed example, whose date has 13 digits       malformed
- line 16: a loan of a barcode Alma does not have                       unknown-item
- line 17: a loan to a patron no user is                                unknown-patron
- line 18: a return of an item that is not on loan                      not-on-loan
- line 19: a loan of an item on loan since the fulfillment load         already-on-loan
- line 20: a timestamp earlier than the line before                     backwards
- line 21: line 7 again                                                 duplicate, already-on-loan
- line 22: a loan at go-live                                            after-go-live
ILLcirc.dat (LF line ends)
- line 5: a temporary item with no record in the temporary bibs         unknown-item
- line 6: a loan of an item Alma has had since the cutover              ill-item-in-snapshot
- line 7: a loan after the fulfillment freeze                           ill-after-fulfillment-freeze
temp-bibs.xml
- record 3: the item ILL000003 has no location                          (bibs.csv)

Nothing here draws from the sample's random stream: it reads the finished tables only.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Mapping
from typing import Any
from xml.sax.saxutils import escape

from simulator.inputs.offline_circ import line_text

Rows = list[dict[str, Any]]
Tx = tuple[dt.datetime, str, str, str]
FOLDER = "offline-circ"
ILL_BIBS = "ill_bibs:                      # where the temporary ILL bibs hold each item\n" \
           "  barcode: 949$b\n  location: 949$l\n"
TEMP_ITEMS = [f"ILL{i:06d}" for i in range(1, 6)]
TITLES = ("Borrowed: A History of Northfield", "Borrowed: Glacial Lakes",
          "Borrowed: Notes on Cartography", "Borrowed: The Quiet Archive")


def _at(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute)


def _loaned(loans: Rows) -> list[tuple[str, str]]:
    """(item, borrower) of the items with exactly one open loan, by barcode."""
    open_loans = [x for x in loans if not x.get("returned_at")]
    count: dict[str, int] = {}
    for x in open_loans:
        count[str(x["item_barcode"])] = count.get(str(x["item_barcode"]), 0) + 1
    return sorted((str(x["item_barcode"]), str(x["primary_id"])) for x in open_loans
                  if count[str(x["item_barcode"])] == 1)


def _available(tables: Mapping[str, Rows]) -> list[str]:
    lent = {str(x["item_barcode"]) for x in tables["loans"] if not x.get("returned_at")}
    return sorted(str(i["barcode"]) for i in tables["items"] if str(i["barcode"]) not in lent)


def _patrons(tables: Mapping[str, Rows]) -> list[str]:
    return sorted(str(u["primary_id"]) for u in tables["users"]
                  if u["record_type"] == "PUBLIC" and str(u["primary_id"]).startswith("P"))


def offline_lines(tables: Mapping[str, Rows]) -> tuple[list[Tx], list[str]]:
    """The right transactions of OffCirc.dat (its first lines, and the sample's
    transactions.csv), and the file's lines, mistakes included."""
    loaned, free, people = _loaned(tables["loans"]), _available(tables), _patrons(tables)
    good: list[Tx] = [(_at(13, 9, 5 * i), "R", loaned[i][0], "") for i in range(6)]
    good += [(_at(13, 10, 5 * i), "L", free[i], people[i].lower() if i % 3 == 1 else people[i])
             for i in range(6)]
    good.append((_at(13, 11, 0), "L", loaned[0][0], people[7]))
    good.append((_at(13, 11, 30), "R", TEMP_ITEMS[1], ""))  # loaned in the ILL file
    lines = [line_text(*t) for t in good]
    lines += [
        "2014010111239L33031245",  # the vendor's own example: a 13-digit date
        line_text(_at(14, 9, 0), "L", "3100099999", people[8]),
        line_text(_at(14, 9, 10), "L", free[6], "P99999"),
        line_text(_at(14, 9, 20), "R", free[7]),
        line_text(_at(14, 9, 30), "L", loaned[6][0], people[9]),
        line_text(_at(14, 8, 45), "L", free[8], people[10]),
        line_text(*good[6]),
        line_text(_at(16, 10, 0), "L", free[9], people[11]),
    ]
    return good, lines


def ill_lines(tables: Mapping[str, Rows]) -> list[str]:
    free, people = _available(tables), _patrons(tables)
    items = TEMP_ITEMS
    return [
        line_text(_at(4, 10, 0), "L", items[0], people[20]),
        line_text(_at(5, 11, 30), "L", items[1], people[21]),
        line_text(_at(6, 14, 15), "L", items[2], people[22]),
        line_text(_at(9, 16, 0), "R", items[0]),
        line_text(_at(10, 9, 45), "L", items[3], people[23]),
        line_text(_at(11, 15, 0), "L", free[20], people[24]),
        line_text(_at(13, 11, 0), "L", items[4], people[25]),
    ]


def bibs_xml() -> str:
    """The temporary bibs as MARC XML: ILL000001-3 and ILL000005 (the third without its
    location); ILL000004 has none."""
    records = []
    for n, barcode in enumerate((*TEMP_ITEMS[:3], TEMP_ITEMS[4]), 1):
        location = "" if n == 3 else '<subfield code="l">ILL</subfield>'
        records.append(
            "  <record>\n    <leader>00000nam a2200000 a 4500</leader>\n"
            f'    <controlfield tag="001">TEMP{n:04d}</controlfield>\n'
            '    <datafield tag="245" ind1="0" ind2="0"><subfield code="a">'
            f"{escape(TITLES[n - 1])}</subfield></datafield>\n"
            '    <datafield tag="949" ind1=" " ind2=" "><subfield code="b">'
            f"{barcode}</subfield>{location}</datafield>\n  </record>\n")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
            + "".join(records) + "</collection>\n")


def transactions_csv(rows: list[Tx]) -> str:
    out = ["timestamp,type,barcode,patron"]
    out += [f"{at:%Y-%m-%d %H:%M},{kind},{barcode},{patron}" for at, kind, barcode, patron in rows]
    return "\n".join(out) + "\n"


def files(after_fulfillment: Mapping[str, Rows], scenario: str) -> dict[str, str]:
    """Relative path -> text of sample_data/offline-circ/."""
    good, lines = offline_lines(after_fulfillment)
    return {
        f"{FOLDER}/OffCirc.dat": "".join(f"{x}\r\n" for x in lines),
        f"{FOLDER}/ILLcirc.dat": "".join(f"{x}\n" for x in ill_lines(after_fulfillment)),
        f"{FOLDER}/temp-bibs.xml": bibs_xml(),
        f"{FOLDER}/transactions.csv": transactions_csv(good),
        f"{FOLDER}/scenario.yaml": scenario.replace(
            "allowed_emails:", ILL_BIBS + "allowed_emails:", 1),
    }


def busy_lines(after_fulfillment: Mapping[str, Rows], n: int, seed: int = 7) -> Iterator[str]:
    """`n` lines of a busy desk between the fulfillment freeze and go-live of the sample (the
    benchmark's file): each item returned when on loan, else loaned, in time order."""
    r = random.Random(seed)
    on_loan = {str(x["item_barcode"]) for x in after_fulfillment["loans"]
               if not x.get("returned_at")}
    items = sorted(str(i["barcode"]) for i in after_fulfillment["items"])
    people = _patrons(after_fulfillment)
    start, minutes = _at(13, 0, 0), 3 * 24 * 60
    for i in range(n):
        item = r.choice(items)
        at = start + dt.timedelta(minutes=i * minutes // n)
        if item in on_loan:
            on_loan.discard(item)
            yield line_text(at, "R", item)
        else:
            on_loan.add(item)
            yield line_text(at, "L", item, r.choice(people))
