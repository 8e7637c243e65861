"""A raw folder of Alma API responses (docs/alma-api.md, "The raw folder"): finding its
response files, and the records each one holds (a list page, an empty page, one object).

Hidden files (a name starting with '.') are passed over without a word: a pull keeps its
unfinished pages under such names (`.page-000003.json.part`); its progress file says the pull is
unfinished, in a warning. Anything else that is not a response file of a known folder is named
in a warning and ignored."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulator.errors import Loc, Problem, UserError, display_path
from simulator.importers.alma_api.folders import BY_NAME, Folder
from simulator.importers.alma_api.pull_files import PROGRESS  # a pull unfinished
from simulator.importers.alma_api.shape import Node, kind

SUFFIXES = (".json", ".xml")


@dataclass(frozen=True)
class RawFile:
    path: Path
    folder: Folder
    shown: str  # the path as messages show it

    @property
    def stem(self) -> str:
        """The name without its suffix (`HFundsTransactionItem.reportingCode`)."""
        return self.path.name[: -len(self.path.suffix)]


@dataclass
class Found:
    folders: list[Folder]  # those present, in the order of docs/alma-api.md
    files: list[RawFile]  # folder by folder, in name order within a folder
    warnings: list[str]


def discover(raw: Path) -> Found:
    """Every response file of the raw folder, and the warnings about what is ignored."""
    if not raw.is_dir():
        raise UserError(Problem(Loc(display_path(raw)), "raw folder not found"))
    warnings: list[str] = []
    if (raw / PROGRESS).exists():
        warnings.append(f"{display_path(raw / PROGRESS)}: the pull into this raw folder is "
                        "unfinished, so some folders may be partial (run the same pull again to "
                        "finish it)")
    found: dict[str, list[RawFile]] = {}
    for entry in sorted(raw.iterdir()):
        if entry.name.startswith("."):
            continue
        folder = BY_NAME.get(entry.name)
        if folder is None or not entry.is_dir():
            warnings.append(f"{display_path(entry)}: not a folder of the raw folder's layout "
                            "(docs/alma-api.md); ignored")
            continue
        found[folder.name] = _files(entry, folder, warnings)
    if not found:
        raise UserError(Problem(Loc(display_path(raw)), "no folder of Alma API responses here "
                                f"(expected one or more of {', '.join(BY_NAME)}/)"))
    folders = [f for f in BY_NAME.values() if f.name in found]
    return Found(folders, [file for f in folders for file in found[f.name]], warnings)


def _files(entry: Path, folder: Folder, warnings: list[str]) -> list[RawFile]:
    out = []
    for path in sorted(entry.iterdir()):
        shown = display_path(path)
        if path.name.startswith("."):
            continue
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            warnings.append(f"{shown}: not a response body (.json or .xml); ignored")
            continue
        out.append(RawFile(path, folder, shown))
    return out


@dataclass
class Held:
    """What one response file holds."""

    records: list[Node]
    total: int | None = None  # its total_record_count, when a list page says one
    problems: list[Problem] = field(default_factory=list)


def held(body: Node, file: RawFile) -> Held:
    """The records of a body: the elements of its list key; none when the key is absent (an
    empty page); the body itself when the folder takes single objects and it is one."""
    if not isinstance(body.value, dict):
        return Held([], problems=[Problem(Loc(file.shown), "$: expected an object (a response "
                                                           f"body), not {kind(body.value)}")])
    if (error := _alma_error(body)) is not None:
        return Held([], problems=[Problem(Loc(file.shown), error)])
    total = _count(body.get("total_record_count").value)
    folder = file.folder
    if body.has(folder.list_key):
        elements = body.get(folder.list_key).elements()
        if elements is None:
            value = body.get(folder.list_key)
            return Held([], total, [Problem(Loc(file.shown), f"{value.path}: expected a list, "
                                                             f"not {kind(value.value)}")])
        return Held(elements, total)
    if folder.single and not body.has("total_record_count") and body.value:
        return Held([body])
    return Held([], total)


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _alma_error(body: Node) -> str | None:
    """Alma's error body (`errorsExist`), said in one line, or None."""
    if str(body.get("errorsExist").value).lower() != "true":
        return None
    errors = body.get("errorList").get("error").elements() or []
    said = "; ".join(f"{e.get('errorCode').value}: {e.get('errorMessage').value}"
                     for e in errors) or "no error message"
    return f"$: an Alma error response, not data ({said})"
