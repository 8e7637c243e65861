"""`docs/rules.md` is generated from the default pack; this test fails when it is stale.

Regenerate it with `make docs` (that is, `cutover rules doc --out docs/rules.md`).
"""

from __future__ import annotations

from pathlib import Path

from simulator.rules.docs import rules_markdown
from simulator.rules.loader import load_pack

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    expected = rules_markdown(load_pack())
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `make docs` (cutover rules doc --out docs/rules.md)")


def test_every_rule_is_documented_in_order() -> None:
    text = DOC.read_text(encoding="utf-8")
    pack = load_pack()
    positions = [text.index(f"| `{rule.id}` |") for _, rule in pack.rules()]
    assert positions == sorted(positions)
    for entity in pack.ordered():
        assert f"\n## {entity.id}\n" in text
