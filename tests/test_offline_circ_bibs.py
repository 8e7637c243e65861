"""The temporary ILL bibs (docs/offline-circ.md, "Temporary ILL bibs"): MARC 21 binary or MARC
XML, each record's title and its items' barcode and location in the fields the scenario's
`ill_bibs` names; and that scenario key itself."""

from __future__ import annotations

from pathlib import Path

import pymarc
import pytest

from simulator.commands.offline_circ import bibs
from simulator.errors import UserError
from simulator.inputs import scenario

FIELDS = {"barcode": "949$b", "location": "949$l"}
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n'


def xml_record(*fields: str) -> str:
    return "<record><leader>00000nam a2200000 a 4500</leader>" + "".join(fields) + "</record>\n"


def title(text: str = "A title") -> str:
    return (f'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">{text}</subfield>'
            "</datafield>")


def item(barcode: str | None, location: str | None = "ILL", tag: str = "949") -> str:
    subfields = "".join(f'<subfield code="{c}">{v}</subfield>'
                        for c, v in (("b", barcode), ("l", location)) if v is not None)
    return f'<datafield tag="{tag}" ind1=" " ind2=" ">{subfields}</datafield>'


def read_xml(tmp_path: Path, body: str, fields: dict[str, str] = FIELDS) -> bibs.Bibs:
    path = tmp_path / "temp-bibs.xml"
    path.write_text(XML_HEAD + body + "</collection>\n", encoding="utf-8")
    return bibs.read(path, fields)


def summary(found: bibs.Bibs) -> list[tuple[int, str, list[tuple[str, str]], list[str]]]:
    return [(r.number, r.title, [(i.barcode, i.location) for i in r.items], r.problems)
            for r in found.records]


def test_marc_xml_records_with_their_items(tmp_path: Path) -> None:
    found = read_xml(tmp_path, xml_record(title("Lakes"), item("T1"), item("T2", "ILL2"))
                     + xml_record(title("Maps"), item("T3")))
    assert found.format == "MARC XML"
    assert summary(found) == [(1, "Lakes", [("T1", "ILL"), ("T2", "ILL2")], []),
                              (2, "Maps", [("T3", "ILL")], [])]
    assert sorted(found.barcodes()) == ["T1", "T2", "T3"]


def test_every_record_problem(tmp_path: Path) -> None:
    found = read_xml(tmp_path, xml_record(item("T1"))            # no title
                     + xml_record(title(), item(None))           # no barcode
                     + xml_record(title(), item("T3", None))     # no location
                     + xml_record(title(), item("T1"))           # T1 again
                     + xml_record(title("  "), item("T5")))      # an empty title
    assert [(r.number, r.problems) for r in found.records] == [
        (1, ["no title: field 245 with a $a is missing"]),
        (2, ["no item barcode in 949$b"]),
        (3, ["item T3 has no location in 949$l"]),
        (4, ["item T1 is also in record 1"]),
        (5, ["no title: field 245 with a $a is missing"]),
    ]


def test_the_location_may_be_in_another_field(tmp_path: Path) -> None:
    fields = {"barcode": "949$b", "location": "852$c"}
    found = read_xml(tmp_path, xml_record(title(), item("T1", None),
                                          '<datafield tag="852" ind1=" " ind2=" "><subfield '
                                          'code="c">STACKS</subfield></datafield>'), fields)
    assert summary(found) == [(1, "A title", [("T1", "STACKS")], [])]


def test_items_already_in_alma(tmp_path: Path) -> None:
    found = read_xml(tmp_path, xml_record(title(), item("T1")) + xml_record(title(), item("I9")))
    bibs.check_against(found, {"I9"})
    assert [r.problems for r in found.records] == [
        [], ["item I9 is already an item in the snapshot: the import of new records would add "
             "it again"]]


def test_marc_binary_and_an_unreadable_record(tmp_path: Path) -> None:
    record = pymarc.Record()
    record.add_field(pymarc.Field("245", pymarc.Indicators("0", "0"),
                                  [pymarc.Subfield("a", "Glacial Lakes")]))
    record.add_field(pymarc.Field("949", pymarc.Indicators(" ", " "),
                                  [pymarc.Subfield("b", "T1"), pymarc.Subfield("l", "ILL")]))
    good = record.as_marc()
    path = tmp_path / "temp-bibs.mrc"
    path.write_bytes(good + b"00050nam  2200000   4500\x1e" + b"x" * 24 + b"\x1d" + good)
    found = bibs.read(path, FIELDS)
    assert found.format == "MARC 21 binary"
    assert [(r.number, r.title, not r.problems) for r in found.records] == [
        (1, "Glacial Lakes", True), (2, "", False), (3, "Glacial Lakes", False)]
    assert found.records[1].problems[0].startswith("not a readable MARC record (")
    assert found.records[2].problems == ["item T1 is also in record 1"]


def test_a_document_type_declaration_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "temp-bibs.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<collection/>',
                    encoding="utf-8")
    with pytest.raises(UserError) as e:
        bibs.read(path, FIELDS)
    assert [p.message for p in e.value.problems] == [
        "--ill-bibs: a document type or entity declaration is not accepted in MARC XML"]


def test_xml_that_is_not_well_formed_is_located(tmp_path: Path) -> None:
    path = tmp_path / "temp-bibs.xml"
    path.write_text(XML_HEAD + "<record>\n  <leader>x</leadr>\n</record>", encoding="utf-8")
    with pytest.raises(UserError) as e:
        bibs.read(path, FIELDS)
    problem = e.value.problems[0]
    assert (problem.loc.line, problem.loc.col) == (4, 14)  # at the name of the closing tag
    assert problem.message == "--ill-bibs: not well-formed XML: mismatched tag"


def test_a_file_that_is_missing(tmp_path: Path) -> None:
    with pytest.raises(UserError) as e:
        bibs.read(tmp_path / "none.mrc", FIELDS)
    assert e.value.problems[0].message == "--ill-bibs: cannot read it: No such file or directory"


def test_an_empty_file_has_no_records(tmp_path: Path) -> None:
    path = tmp_path / "temp-bibs.mrc"
    path.write_bytes(b"")
    assert bibs.read(path, FIELDS).records == []


# -- the scenario's ill_bibs --------------------------------------------------------------------

BASE = "institution: TST\ndates:\n  freeze_start: 2026-03-02\n  clean_data_delivered: 2026-03-11\n"


def load(tmp_path: Path, text: str) -> scenario.Scenario:
    path = tmp_path / "scenario.yaml"
    path.write_text(BASE + text, encoding="utf-8")
    return scenario.load(path)


def test_ill_bibs_names_the_fields(tmp_path: Path) -> None:
    found = load(tmp_path, "ill_bibs:\n  barcode: 949$b\n  location: 852$c\n")
    assert found.ill_bibs == {"barcode": "949$b", "location": "852$c"}
    assert found.as_dict()["ill_bibs"] == {"barcode": "949$b", "location": "852$c"}
    assert "ill_bibs" not in load(tmp_path, "").as_dict()


@pytest.mark.parametrize("text, messages", [
    ("ill_bibs: 949$b\n", ["ill_bibs must be a mapping such as {barcode: 949$b, location: "
                           "949$l}"]),
    ("ill_bibs:\n  barcode: 949$b\n", ["ill_bibs: missing 'location' (e.g. location: 949$b)"]),
    ("ill_bibs:\n  barcode: 949b\n  location: 001$a\n  barcod: 1\n", [
        "ill_bibs: barcode: '949b' is not a data field and subfield such as 949$b",
        "ill_bibs: location: '001$a' is not a data field and subfield such as 949$b",
        "unknown key 'barcod': did you mean 'barcode'? expected barcode, location"]),
])
def test_ill_bibs_mistakes_are_located(tmp_path: Path, text: str, messages: list[str]) -> None:
    with pytest.raises(UserError) as e:
        load(tmp_path, text)
    assert sorted(p.message for p in e.value.problems) == sorted(messages)
    assert all(p.loc.line >= 5 for p in e.value.problems)
