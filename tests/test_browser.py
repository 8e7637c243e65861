"""The demo report in a real headless Chromium: search, filter, deep link, no console errors;
the verify report's expectation in words, its SQL a click away.

Needs Debian's chromium (`.ci/run` installs it). Skipped only when Chromium is absent and `CI` is
unset; in CI a missing browser is a failure. A screenshot goes to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.commands import verify
from simulator.commands.predict import predict
from simulator.core.session import Session
from simulator.synth.sample import sample_dir

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    base = sample_dir()
    out = tmp_path_factory.mktemp("browser") / "run"
    with Session.open(base / "freeze", base / "extract", base / "scenario.yaml",
                      base / "testload") as session:
        predict(session, out, command=["cutover", "demo"])
    return out / "report.html", json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    exe = chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and CI must run the browser test")
        pytest.skip("Chromium is not installed (install Debian's chromium to run this test)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=exe, headless=True,
            args=[f for f in FLAGS if f != "--headless"], viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()


def count(summary: dict[str, Any], side: str, entity: str, outcome: str) -> int:
    return sum(c["count"] for c in summary["counts"]
               if (c["side"], c["entity"], c["outcome"]) == (side, entity, outcome))


def test_search_filter_deep_link(browser: Any, report: tuple[Path, dict[str, Any]]) -> None:
    path, summary = report
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: problems.append(f"network: {r.url}")
            if not r.url.startswith(("file:", "data:", "about:")) else None)
    page.goto(path.as_uri())

    users = page.locator("details#alma\\.users")
    rows = users.locator("tbody tr.record")
    assert rows.count() == 0  # rendered on demand
    users.locator("summary").click()
    total = count(summary, "alma", "users", "removed") + count(summary, "alma", "users",
                                                               "retained") \
        + count(summary, "alma", "users", "refreshed") + count(summary, "alma", "users", "reverted")
    assert rows.count() == total
    assert users.locator(".visible-count").inner_text() == str(total)

    users.locator("input.search").fill("P0240")
    keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key)")
    assert keys == [f"P0240{i}" for i in range(10)]

    users.locator("input.search").fill("")
    users.locator("select.outcome-filter").select_option("refreshed")
    outcomes = set(rows.evaluate_all("rs => rs.map(r => r.dataset.outcome)"))
    assert outcomes == {"refreshed"}
    assert rows.count() == count(summary, "alma", "users", "refreshed")

    users.locator("th[data-sort=key]").click()  # sort descending by key
    keys = rows.evaluate_all("rs => rs.map(r => r.dataset.key)")
    assert keys == sorted(keys, reverse=True)

    # A deep link (any letter case) opens the section, clears the filters, highlights the
    # record and shows the chain of rules that decided it.
    page.goto(path.as_uri() + "#extract.vendors/v021")
    vendors = page.locator("details#extract\\.vendors")
    assert vendors.evaluate("d => d.open")
    highlighted = vendors.locator("tr.highlight")
    assert highlighted.count() == 1
    assert highlighted.get_attribute("data-key") == "V021"
    chain = vendors.locator(".chain")
    assert "vendors.missing-in-alma" in chain.inner_text()
    assert chain.locator("li.decides .rule-id").inner_text() == "vendors.missing-in-alma"
    assert chain.locator("li.skipped").count() == 1

    page.evaluate("window.location.hash = 'users/p02401'")
    page.wait_for_function("document.querySelector('tr.highlight') && "
                           "document.querySelector('tr.highlight').dataset.key === 'P02401'")
    assert users.locator("select.outcome-filter").input_value() == ""
    assert users.locator("tr.highlight td.rule").inner_text() == "users.public-staff-matched"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-deep-link.png"), full_page=False)
    assert problems == []
    page.close()


def test_clicking_a_record_shows_and_hides_its_rule_chain(
        browser: Any, report: tuple[Path, dict[str, Any]]) -> None:
    path, _ = report
    page = browser.new_page()
    page.goto(path.as_uri())
    section = page.locator("details#alma\\.sets")
    section.locator("summary").click()
    row = section.locator("tr.record[data-key='SET003']")
    row.locator("td.rule").click()
    chain = section.locator("tr.chain-row")
    assert chain.count() == 1
    assert "sets.created-during-freeze" in chain.inner_text()
    row.locator("td.rule").click()
    assert section.locator("tr.chain-row").count() == 0
    page.close()


@pytest.fixture(scope="module")
def verify_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = sample_dir()
    out = tmp_path_factory.mktemp("browser-verify") / "run"
    with Session.open(base / "freeze", base / "extract", base / "scenario.yaml",
                      base / "testload") as session:
        verify.run(session, base / "post-cutover", out)
    return out / "report.html"


def test_a_state_mismatch_shows_its_sql_on_a_click(browser: Any, verify_report: Path) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(verify_report.as_uri())
    finding = page.locator("article[id='finding-verify.state_mismatch.alma.webhooks."
                           "webhooks.inactive']")
    expected = finding.locator("table.details td").nth(1)
    assert expected.locator("span.expected").inner_text() == "the webhook is inactive"
    sql = expected.locator("details.sql code")
    assert not sql.is_visible()
    expected.locator("details.sql summary").click()
    assert sql.is_visible()
    assert sql.inner_text() == "status = 'INACTIVE'"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    finding.screenshot(path=str(ARTIFACTS / "verify-expected-in-words.png"))
    assert problems == []
    page.close()
