"""The HTML report and summary.md: structure, escaping, bounded embedding, personal data."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from conftest import World, role, user
from hypothesis import given
from hypothesis import strategies as st

from simulator.commands.predict import predict
from simulator.output.sampling import per_rule_cap
from simulator.privacy import mask_emails

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>']


class Page(HTMLParser):
    """Collects elements with attributes and the text of each element id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements
                if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def run(world: World, tmp_path: Path, **kw: Any) -> tuple[Page, str, dict[str, Any]]:
    out = tmp_path / "run"
    show_pii = kw.pop("show_pii", False)
    with world.session(**kw) as session:
        predict(session, out, command=["cutover", "predict"], show_pii=show_pii)
    html = (out / "report.html").read_text(encoding="utf-8")
    return parse(html), html, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def data_of(page: Page) -> dict[str, Any]:
    blob = next(s for s in page.scripts if s.lstrip().startswith("{"))
    return json.loads(blob)


def records(page: Page, entity: str) -> list[tuple[str, str]]:
    """(key as shown, deciding rule id) of the rows embedded for `entity`."""
    data = data_of(page)["entities"][entity]
    return sorted((key, data["rules"][i]["id"]) for key, i in data["records"])


def test_structure_counts_and_links(world: World, tmp_path: Path) -> None:
    world.pre = {"users": [user("JSmith"), user("Staff1", "STAFF")],
                 "user_roles": [role("JSmith"), role("JSmith", "Cataloger")],
                 "vendors": [{"code": "V1"}]}
    world.extract = {"patrons": [{"primary_id": "jsmith"}, {"primary_id": "new1"}],
                     "vendors": [{"code": "V1"}, {"code": "V9"}]}
    page, _, summary = run(world, tmp_path)
    # Verdict at the top, blocker level (V9 is missing in Alma).
    verdict = page.find("p", id="verdict")
    assert verdict and verdict[0]["class"] == "verdict blocker"
    # One collapsible section per entity with records, totals in data attributes.
    sections = {a["id"]: a for a in page.find("details")
                if a.get("class") == "entity"}
    assert set(sections) == {"alma.users", "alma.user_roles", "alma.vendors", "extract.patrons",
                             "extract.vendors"}
    assert sections["alma.users"]["data-total"] == "2"
    assert sections["extract.vendors"]["data-shown"] == "2"
    # The chart has one bar per entity, one rect per outcome present.
    bars = page.find("g", class_="bar")
    assert [b["data-entity"] for b in bars] == sorted(sections)
    rects = [a["data-outcome"] for t, a in page.elements if t == "rect"]
    assert rects.count("rejected") == 1  # extract.vendors
    assert rects.count("refreshed") == 2  # the user and its patron role
    # Findings first, with deep links into the entity sections.
    finding = page.find("article", id="finding-vendors.missing-in-alma")
    assert finding and finding[0]["data-severity"] == "blocker"
    assert {"href": "#extract.vendors/V9", "class": "key"} in page.find("a", class_="key")
    assert page.find("a", href="ledger.parquet") and page.find("a", href="ledger.csv")
    # The embedded data holds every rule chain needed in the page, and nothing else.
    assert records(page, "alma.users") == [("JSmith", "users.public-staff-matched"),
                                           ("Staff1", "users.non-public")]
    # No network: no external script, stylesheet or image.
    for tag, attrs in page.elements:
        for attr in ("src", "href"):
            value = attrs.get(attr) or ""
            assert not re.match(r"(https?:)?//", value), (tag, attrs)
    assert summary["counts"]


def test_data_is_escaped_everywhere(world: World, tmp_path: Path) -> None:
    world.pre = {"sets": [{"set_id": XSS[0], "set_type": "ITEMIZED"},
                          {"set_id": XSS[1], "set_type": "ITEMIZED"}]}
    world.extract = {"vendors": [{"code": XSS[0]}, {"code": XSS[1]}]}
    page, html, _ = run(world, tmp_path)
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert not page.find("img")
    # Two script elements only: the data and the page script.
    assert [t for t, _ in page.elements].count("script") == 2
    # The keys are text: in the findings' sample and in the embedded data.
    text = "".join(page.text)
    assert XSS[0] in text and XSS[1] in text
    keys = {rec[0] for rec in data_of(page)["entities"]["alma.sets"]["records"]}
    assert keys == set(XSS)


def test_emails_masked_by_default_and_shown_on_request(world: World, tmp_path: Path) -> None:
    world.pre = {"users": [user("jane.doe@uni.example")]}
    world.extract = {"patrons": [{"primary_id": "jane.doe@uni.example"}]}
    page, html, summary = run(world, tmp_path)
    assert "jane.doe@uni.example" not in html
    assert records(page, "alma.users") == [("j•••@uni.example", "users.public")]
    md = (tmp_path / "run" / "summary.md").read_text(encoding="utf-8")
    assert "jane.doe" not in md
    page, html, _ = run(world, tmp_path, show_pii=True)
    assert records(page, "alma.users") == [("jane.doe@uni.example", "users.public")]


def test_mask_emails() -> None:
    assert mask_emails("contact a.b@x.org or c@y.co.uk") == "contact a•••@x.org or c•••@y.co.uk"
    assert mask_emails("JSmith") == "JSmith"


def test_summary_markdown(world: World, tmp_path: Path) -> None:
    world.pre = {"vendors": [{"code": "V|1"}]}
    world.extract = {"vendors": [{"code": "V|2"}]}
    run(world, tmp_path)
    md = (tmp_path / "run" / "summary.md").read_text(encoding="utf-8")
    assert md.startswith("# Cutover prediction: TST\n")
    assert "| blocker | Vendor codes used by the extract are missing in Alma | 1 | V\\|2 |" in md
    assert "| alma.vendors |" in md and "| extract.vendors |" in md


def test_embedding_is_bounded_and_keeps_every_rule(world: World, tmp_path: Path,
                                                   monkeypatch: Any) -> None:
    monkeypatch.setattr("simulator.commands.views.ROWS_PER_ENTITY", 5)
    world.pre = {"users": [user(f"P{i:03d}") for i in range(40)]
                 + [user(f"S{i:03d}", "STAFF") for i in range(3)]
                 + [user("C001", "CONTACT")]}
    page, _, _ = run(world, tmp_path)
    section = page.find("details", id="alma.users")[0]
    # Two rules share five places: two rows each (a third each would not fit).
    assert section["data-total"] == "44" and section["data-shown"] == "4"
    assert records(page, "alma.users") == [
        ("C001", "users.non-public"), ("P000", "users.public"), ("P001", "users.public"),
        ("S000", "users.non-public")]


@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=30),
       st.integers(min_value=30, max_value=20_000))
def test_per_rule_cap_is_the_largest_that_fits(counts: list[int], limit: int) -> None:
    k = per_rule_cap(counts, limit)
    assert k >= 1
    assert sum(min(c, k) for c in counts) <= max(limit, len(counts))
    if sum(counts) > limit:
        assert sum(min(c, k + 1) for c in counts) > limit


def test_pseudonymize_replaces_primary_ids_consistently(world: World, tmp_path: Path) -> None:
    world.pre = {"users": [user("JSmith"), user("Staff1", "STAFF")],
                 "user_roles": [role("JSmith"), role("jsmith", "Cataloger")]}
    world.extract = {"patrons": [{"primary_id": "jsmith"}]}
    keys = {}
    for name, key in (("a", "s3cret"), ("b", "s3cret"), ("c", "0ther-k3y")):
        out = tmp_path / name
        with world.session(pseudonymize=key) as session:
            predict(session, out, command=["cutover", "predict", "--pseudonymize", key])
        ledger = (out / "ledger.csv").read_text(encoding="utf-8")
        assert "JSmith" not in ledger and "jsmith" not in ledger and "Staff1" not in ledger
        summary = (out / "summary.json").read_text(encoding="utf-8")
        assert key not in summary
        assert json.loads(summary)["manifest"]["command"][-2:] == ["--pseudonymize", "***"]
        assert key not in (out / "report.html").read_text(encoding="utf-8")
        keys[name] = sorted(line.split(",")[2] for line in ledger.splitlines()[1:])
    assert keys["a"] == keys["b"] != keys["c"]
    # JSmith (users), jsmith (patrons) and the role rows share one pseudonym.
    pseudonym = next(k.split("|")[0] for k in keys["a"] if k.endswith("|Cataloger|TST"))
    assert keys["a"].count(pseudonym) == 2
    assert f"{pseudonym}|Patron|TST" in keys["a"]
    assert len(pseudonym) == len("ps-") + 16
