"""The documentation (docs/, built by MkDocs): `docs/rules.md` is generated from the default pack
and fails here when stale; every command and option of `cutover` is on its command's page; the
site builds with `mkdocs build --strict`; the README's links lead to files that exist.

Regenerate docs/rules.md and build the site with `make docs`.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from simulator.cli import app
from simulator.rules.docs import rules_markdown
from simulator.rules.loader import load_pack

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC = DOCS / "rules.md"
README = ROOT / "README.md"


def hooks() -> ModuleType:
    """docs/hooks.py, MkDocs' hook (a file of the site's configuration, not of the package)."""
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


# -- every command and option on its page ---------------------------------------------------------

def command_tree() -> dict[str, list[str]]:
    """Each command of `cutover` ('' for `cutover` itself, 'snapshot import flat', ...) that takes
    parameters -> its options (`--show-pii`, `--no-debug`) and arguments (`FILES_DIR`).

    Walks the typer/click tree of `simulator.cli.app`, sub-apps included; `--help` is left out.
    """
    from typer.main import get_command

    found: dict[str, list[str]] = {}

    def walk(command: Any, path: str) -> None:
        names = []
        for param in command.params:
            if param.param_type_name == "argument":
                names.append(param.name.upper())
            else:
                names += [o for o in (*param.opts, *param.secondary_opts) if o.startswith("-")]
        if names:
            found[path] = names
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(get_command(app), "")
    return found


def sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, the text under it up to the next heading of the same or a higher level) for
    every heading of a page; lines in fenced code blocks are no headings."""
    heads: list[tuple[int, int, str]] = []
    lines = markdown.split("\n")
    fenced = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"(#{1,6}) (.*)", line)):
            heads.append((i, len(m.group(1)), m.group(2)))
    out = []
    for n, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[n + 1:] if lv <= level), len(lines))
        out.append((title, "\n".join(lines[i:end])))
    return out


def undocumented(commands: dict[str, list[str]], pages: dict[str, str]) -> list[str]:
    """What the pages leave out: a command is documented under a heading whose code span is
    `cutover COMMAND`, and each of its options and arguments is named in such a section."""
    named: dict[str, list[str]] = {}
    for text in pages.values():
        for title, body in sections(text):
            for span in re.findall(r"`([^`]+)`", title):
                if span == "cutover" or span.startswith("cutover "):
                    named.setdefault(span.removeprefix("cutover").strip(), []).append(body)
    problems = []
    for path, names in commands.items():
        label = f"cutover {path}".strip()
        bodies = named.get(path)
        if not bodies:
            problems.append(f"{label}: no heading names it")
            continue
        missing = [n for n in names if not any(
            re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", b) for b in bodies)]
        if missing:
            problems.append(f"{label}: not in its section: {', '.join(missing)}")
    return problems


def doc_pages() -> dict[str, str]:
    return {str(p.relative_to(DOCS)): p.read_text(encoding="utf-8")
            for p in sorted(DOCS.rglob("*.md"))}


def test_the_command_tree_is_walked_whole() -> None:
    tree = command_tree()
    assert tree[""] == ["--debug", "--no-debug", "--quiet", "--no-quiet"]
    assert tree["explain"] == ["--pre", "--extract", "--scenario", "ENTITY", "KEY", "--testload",
                               "--rules"]
    for path in ("predict", "verify", "readiness", "whatif", "diff", "demo", "generate",
                 "rules list", "rules show", "rules lint", "rules doc", "snapshot validate",
                 "snapshot pull", "snapshot import alma-api", "snapshot import flat",
                 "snapshot mapping-template"):
        assert path in tree, path


def summaries_on_two_lines(command: Any, path: str = "") -> list[str]:
    """The commands whose summary (the first paragraph of their help, shown in the list of
    `cutover --help`) spans lines: the list would show the line break."""
    out = []
    first = inspect.cleandoc(command.help or "").split("\n\n")[0]
    if path and "\n" in first:
        out.append(path)
    for name, sub in (getattr(command, "commands", None) or {}).items():
        out += summaries_on_two_lines(sub, f"{path} {name}".strip())
    return out


def test_every_command_s_summary_is_one_line() -> None:
    from typer.main import get_command

    assert summaries_on_two_lines(get_command(app)) == []
    two = SimpleNamespace(help="Run the sample through\n    every command.\n\nMore.", commands={})
    assert summaries_on_two_lines(SimpleNamespace(help="", commands={"demo": two})) == ["demo"]


def test_every_command_and_option_is_on_its_page() -> None:
    assert undocumented(command_tree(), doc_pages()) == []


def test_a_command_or_option_left_out_is_named() -> None:
    pages = {"a.md": "# `cutover predict`\n\n`--pre` and `--prebuilt`\n\n"
                     "# Other\n\n--out\n\n```\n# `cutover diff`\n```\n",
             "b.md": "# The command line: `cutover`\n\n## `cutover rules show`\n\nRULE_ID\n\n"
                     "## More\n\n--rules\n\n# `cutover rules show`: again\n\n--rules\n"}
    assert undocumented({"predict": ["--pre", "--out", "--prebuilt", "--pr"],
                         "diff": ["RUN_A"],
                         "rules show": ["RULE_ID", "--rules", "--debug"],
                         "": ["--debug"]}, pages) == [
        "cutover predict: not in its section: --out, --pr",
        "cutover diff: no heading names it",
        "cutover rules show: not in its section: --debug",
        "cutover: not in its section: --debug",
    ]


# -- the site -------------------------------------------------------------------------------------

def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(config), "--site-dir", str(site)],
                          capture_output=True, text=True, env=env, cwd=config.parent, check=False)


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    done = mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    catalogue = (tmp_path / "site" / "rules" / "index.html").read_text(encoding="utf-8")
    assert all(rule.id in catalogue for _, rule in load_pack().rules())
    for page in DOCS.rglob("*.md"):
        built = page.relative_to(DOCS).with_suffix("")
        index = built.parent if built.name == "index" else built
        assert (tmp_path / "site" / index / "index.html").is_file(), page
    assert not (tmp_path / "site" / "hooks.py").exists()


def test_a_broken_link_anchor_or_page_left_out_fails_the_build(tmp_path: Path) -> None:
    """The same settings as the real site (mkdocs.yml without its navigation and hook) on three
    mistakes, each a warning that --strict turns into a failure."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^hooks:\n.*?(?=^\S)", "", text).split("\nnav:\n")[0]
    (tmp_path / "mkdocs.yml").write_text(text + "\nnav:\n  - index.md\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(
        "# Home\n\n[gone](gone.md), [orphan](orphan.md#nowhere)\n", encoding="utf-8")
    (tmp_path / "docs" / "orphan.md").write_text("# Orphan\n", encoding="utf-8")
    done = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 1
    warnings = [line.removeprefix("WARNING -  ") for line in done.stderr.splitlines()
                if line.startswith("WARNING")]
    assert warnings == [
        'The following pages exist in the docs directory, but are not included in the "nav" '
        "configuration:",
        "Doc file 'index.md' contains a link 'gone.md', but the target is not found among "
        "documentation files.",
        "Doc file 'index.md' contains a link 'orphan.md#nowhere', but the doc 'orphan.md' does "
        "not contain an anchor '#nowhere'.",
    ]
    assert "  - orphan.md" in done.stderr.splitlines()


@pytest.mark.parametrize("line,shown", [
    ("| `a \\|\\| b` | x \\| y |", "| `a || b` | x \\| y |"),
    ("text `a \\| b`", "text `a \\| b`"),
    ("  | `k1\\|k2` | `plain` |", "  | `k1|k2` | `plain` |"),
])
def test_the_hook_unescapes_pipes_in_table_code_only(line: str, shown: str) -> None:
    assert hooks().unescape_table_code(f"# T\n\n{line}\n") == f"# T\n\n{shown}\n"


# -- the README, the landing page -----------------------------------------------------------------

def test_the_readme_links_lead_to_files() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link]
    assert local, "the README links to the documentation"
    assert [link for link in local if not (ROOT / link).exists()] == []


def test_the_readme_quick_start_is_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^    (\S.*?)(?:\s+#.*)?$", quick, re.M)
    assert commands == ["make demo", "make test"]
