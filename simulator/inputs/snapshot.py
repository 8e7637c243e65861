"""Snapshot folders (docs/formats/snapshots.md): the manifest and the table files it holds, found
and checked without reading their data (inputs/reading.py reads them into DuckDB views)."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from simulator.errors import Collector, Loc, Problem, UserError, display_path
from simulator.inputs import yamlsrc
from simulator.inputs.tables import STAGE_SIDE, TABLES, Table, tables_for

FORMAT_VERSION = 1
MANIFEST = "snapshot.yaml"
_MANIFEST_KEYS = ("format_version", "institution", "stage", "taken_at", "forms")
MAX_LINE_BYTES = 2_097_152
TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class TableFile:
    table: Table
    path: Path
    format: str  # csv | parquet
    header: tuple[str, ...]
    # Parquet columns already stored as the catalogue's SQL type: read as they are, with no
    # type check (a value of that type cannot fail it) and no trip through text.
    native: frozenset[str] = frozenset()

    @property
    def shown(self) -> str:
        return display_path(self.path)


@dataclass
class Snapshot:
    path: Path
    institution: str
    stage: str
    taken_at: str
    side: str
    files: dict[str, TableFile]
    forms: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Problems of single table files (empty, unreadable header): reported by `attach`, together
    # with what reading the data finds, so one run lists every file's problems.
    problems: list[Problem] = field(default_factory=list)
    # Tables whose file could not be read: attached as empty, skipped by validation.
    unreadable: set[str] = field(default_factory=set)
    institution_loc: Loc = field(default_factory=lambda: Loc(""))
    # The files' hashes as this snapshot first read them (`file_hashes`).
    _hashes: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def file_hashes(self) -> dict[str, str]:
        """Each file's SHA-256, read once per snapshot opened: verify compares them with the
        prediction's and then records them in its own manifest, the same bytes (half a second
        at 5M users). `only` makes another snapshot (`replace` leaves the field out), which
        reads its own."""
        if self._hashes is None:
            paths = [f.path for f in self.files.values()] + list(self.forms.values())
            paths.append(self.path / MANIFEST)
            self._hashes = {p.name: sha256(p) for p in sorted(paths) if p.is_file()}
        return dict(self._hashes)


def only(snap: Snapshot, tables: set[str]) -> Snapshot:
    """The snapshot as if it held only `tables`: problems of its other files (and of files
    misnamed for its other tables) are not looked at (a command that reads a few tables
    validates just those)."""
    others = {display_path(p) for p in snap.path.iterdir()
              if p.suffix.lower() in TABLE_SUFFIXES
              and (t := p.stem if p.stem in TABLES else meant_table(p.stem, snap.side))
              and t not in tables}
    return replace(snap, files={n: f for n, f in snap.files.items() if n in tables},
                   problems=[p for p in snap.problems if p.loc.path not in others])


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def open_snapshot(path: Path, expect_side: str | None = None, role: str = "") -> Snapshot:
    """Read the manifest and find the table files; all problems are reported together."""
    data = _read_manifest(path, role)
    problems = Collector()
    warnings: list[str] = []
    _check_manifest_keys(data, problems, warnings)
    institution = data.get("institution")
    if "institution" in data and (not isinstance(institution, str) or not institution.strip()):
        problems.add(data.value_loc("institution"), "institution must be a non-empty code")
    side = _side(data, expect_side, role, problems)
    taken_at = _taken_at(data, problems)
    forms = _forms(path, data, problems)
    problems.raise_if_any()
    file_problems = Collector()
    unreadable: set[str] = set()
    files = _discover(path, side or expect_side or "alma", set(forms.values()), file_problems,
                      warnings, unreadable)
    return Snapshot(path=path, institution=str(institution), stage=str(data.get("stage")),
                    taken_at=taken_at, side=side, files=files, forms=forms, warnings=warnings,
                    problems=file_problems.problems, unreadable=unreadable,
                    institution_loc=data.value_loc("institution"))


def _read_manifest(path: Path, role: str) -> yamlsrc.YMap:
    """The manifest of the snapshot folder `path`, which must be a mapping."""
    shown = display_path(path)
    if path.is_file():
        raise UserError(Problem(Loc(shown), f"is a file, expected a snapshot folder{_role(role)}"))
    if not path.is_dir():
        raise UserError(Problem(Loc(shown), f"snapshot folder not found{_role(role)}"))
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise UserError(Problem(Loc(shown), f"no {MANIFEST} in this folder{_role(role)} "
                                            "(see docs/formats/snapshots.md)"))
    data = yamlsrc.load(manifest_path)
    if not isinstance(data, yamlsrc.YMap):
        raise UserError(Problem(Loc(display_path(manifest_path), 1, 1),
                                "expected a mapping with format_version, institution, stage"))
    return data


def _check_manifest_keys(data: yamlsrc.YMap, problems: Collector, warnings: list[str]) -> None:
    """Unknown keys are warned about; required ones missing and a wrong version are problems."""
    ignored = Collector()
    yamlsrc.check_keys(data, _MANIFEST_KEYS, ignored, template=yamlsrc.IGNORED)
    warnings.extend(str(p) for p in ignored.problems)
    yamlsrc.required(data, ("format_version", "institution", "stage"), problems,
                     at=Loc(data.loc.path, 1, 1))
    if "format_version" in data and data["format_version"] != FORMAT_VERSION:
        problems.add(data.value_loc("format_version"), f"format_version "
                     f"{data['format_version']!r} is not supported (expected {FORMAT_VERSION})")


def _side(data: yamlsrc.YMap, expect_side: str | None, role: str, problems: Collector) -> str:
    """The side of the manifest's stage ("" when unknown), checked against the one expected."""
    stage = data.get("stage")
    side = STAGE_SIDE.get(str(stage), "")
    if "stage" in data and not side:
        problems.add(data.value_loc("stage"),
                     f"unknown stage {stage!r} (expected one of {', '.join(STAGE_SIDE)})")
    elif side and expect_side and side != expect_side:
        stages = [s for s, sd in STAGE_SIDE.items() if sd == expect_side]
        problems.add(data.value_loc("stage"), f"stage '{stage}' is an {side}-side snapshot, but "
                     f"{role or 'this command'} expects an {expect_side}-side one (stage "
                     f"{', '.join(stages)}): are two folders swapped?")
    return side


def _taken_at(data: yamlsrc.YMap, problems: Collector) -> str:
    taken_at = data.get("taken_at")
    if isinstance(taken_at, dt.datetime | dt.date):
        return taken_at.isoformat()
    if taken_at is not None and not is_timestamp(str(taken_at)):
        problems.add(data.value_loc("taken_at"),
                     f"taken_at: {taken_at!r} is not an ISO timestamp (YYYY-MM-DDTHH:MM:SSZ)")
    return str(taken_at or "")


def is_timestamp(text: str) -> bool:
    """An ISO date or timestamp, a Z suffix allowed (snapshot.yaml's taken_at)."""
    try:
        dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# An ISO date or timestamp as DuckDB reads one (a one-digit month or day, a space for the T, a
# fraction of a second and a zone are accepted), its date and time parts as groups.
_ISO_SHAPE = re.compile(r"(\d{4,})-(\d{1,2})-(\d{1,2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?"
                        r"(?:\.\d+)?)?(?: ?(?:Z|UTC|[+-]\d{2}(?::?\d{2})?))?")


def not_on_calendar(value: str) -> str | None:
    """Why a value written as an ISO date or timestamp is none ('2026-02-30'): its day or time
    is not on the calendar or the clock. None when it is not ISO-shaped (or is a real one).
    Only a value that failed the type check is looked at: the valid path never calls it."""
    m = _ISO_SHAPE.fullmatch(value)
    if m is None:
        return None
    year, month, day = (int(part) for part in m.group(1, 2, 3))
    date = value[:m.end(3)]
    if not 1 <= month <= 12:
        return f"{date} is not a day of the calendar (months are 01 to 12)"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return (f"{date} is not a day of the calendar ({m.group(1)}-{month:02d} has days 01 to "
                f"{days})")
    if m.group(4) is None:
        return None
    hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and minute + second > 0):
        return (f"{value[m.start(4):m.end(6 if m.group(6) else 5)]} is not a time of day "
                "(00:00:00 to 23:59:59)")
    return None


def _role(role: str) -> str:
    return f" ({role})" if role else ""


def _forms(path: Path, data: yamlsrc.YMap, problems: Collector) -> dict[str, Path]:
    forms = data.get("forms")
    if forms is None:
        return {}
    if not isinstance(forms, yamlsrc.YMap):
        problems.add(data.value_loc("forms"), "forms must map a form name to a file name")
        return {}
    out = {}
    for name, file in forms.items():
        if not isinstance(file, str) or not file or Path(file).is_absolute() or ".." in file:
            problems.add(forms.value_loc(name), "a form must be a file name inside the snapshot")
            continue
        if not (path / file).is_file():
            problems.add(forms.value_loc(name), f"form file '{file}' not found in the snapshot")
            continue
        out[name] = path / file
    return out


def _discover(
    path: Path, side: str, form_files: set[Path], problems: Collector, warnings: list[str],
    unreadable: set[str],
) -> dict[str, TableFile]:
    known = {t.name: t for t in tables_for(side)}
    found: dict[str, TableFile] = {}
    files = sorted(path.iterdir())
    present = {f.stem for f in files if f.suffix.lower() in TABLE_SUFFIXES}
    for file in files:
        if file.name == MANIFEST or file in form_files or file.name.startswith("."):
            continue
        stem, suffix = file.stem, file.suffix.lower()
        shown = display_path(file)
        if suffix not in TABLE_SUFFIXES:
            warnings.append(f"{shown}: not a table file (.csv or .parquet); ignored")
            continue
        if stem not in known:
            _not_a_table(file, side, present, problems, warnings)
            continue
        if _unreadable(file, shown, problems):
            unreadable.add(stem)
            continue
        if not file.is_file():
            what = ("a folder, not a table file" if file.is_dir()
                    else "not a regular file (a named pipe or a device)")
            warnings.append(f"{shown}: {what}; ignored")
            continue
        if stem in found:
            problems.add(
                Loc(shown),
                f"table '{stem}' is given twice ({found[stem].path.name} and {file.name}): "
                "keep one",
            )
            continue
        fmt = suffix[1:]
        header = _csv_header(file, known[stem], problems) if fmt == "csv" else ()
        if header is None:
            unreadable.add(stem)
        else:
            found[stem] = TableFile(known[stem], file, fmt, header)
            warnings.extend(_near_miss_warnings(shown, known[stem], header))
    return found


# How like a name must be to a table's or a column's to be taken for it (difflib's ratio):
# above `yamlsrc.closest`'s 0.6, which takes notes for items and test for items; patron is
# 0.92 like patrons, library 0.75 like libraries, e_mail 0.91 like email.
NEAR_MISS = 0.75


def near_miss(name: str, choices: Sequence[str]) -> str | None:
    """The choice `name` is likely a misspelt or miscased form of, or None."""
    return yamlsrc.closest(name.lower(), choices, cutoff=NEAR_MISS)


def meant_table(stem: str, side: str) -> str | None:
    """The table of `side` a file named `stem` (no table's name) is likely meant to be: a
    misspelt, singular or miscased name. None for an unrelated file (notes, README)."""
    return near_miss(stem, [t.name for t in tables_for(side)])


def _not_a_table(file: Path, side: str, present: set[str], problems: Collector,
                 warnings: list[str]) -> None:
    """A .csv or .parquet file named after no table of `side`: ignored with a warning, or an
    error when it is likely meant to be a table the folder lacks (its rows would be left out
    without a word)."""
    stem, shown = file.stem, display_path(file)
    if stem in TABLES:
        other = next(sd for sd in TABLES[stem].sides if sd != side)
        warnings.append(f"{shown}: {stem} is an {other}-side table, not part of an {side}-side "
                        "snapshot; ignored")
        return
    what = f"no table named '{stem}' in an {side}-side snapshot"
    meant = meant_table(stem, side)
    if meant is None:
        warnings.append(f"{shown}: {what}; ignored")
    elif meant in present:
        warnings.append(f"{shown}: {what} (did you mean '{meant}{file.suffix.lower()}'?); "
                        "ignored")
    else:
        problems.add(Loc(shown), f"{what}: did you mean '{meant}{file.suffix.lower()}'? (the "
                                 f"folder has no {meant} table, and a table is read only from "
                                 "a file of its exact name)")


def near_columns(table: Table, header: Sequence[str]) -> dict[str, str]:
    """Each header name that is no column of `table` but close to one the header lacks (a
    misspelt or miscased name), and that column. An unrelated extra column is not listed."""
    names = table.column_names
    missing = [c for c in names if c not in header]
    return {name: close for name in header
            if name not in names and (close := near_miss(name, missing))}


def _near_miss_warnings(shown: str, table: Table, header: Sequence[str]) -> list[str]:
    """A header name close to an optional column the file lacks: the column reads as absent
    (empty), so the user is told. A required one is the validation's error, with the hint."""
    near = near_columns(table, header)
    return [f"{shown}:1:{i}: column '{name}' is not a column of {table.name} (did you mean "
            f"'{near[name]}'?); its values are ignored"
            for i, name in enumerate(header, 1)
            if name in near and not table.column(near[name]).required]


def _unreadable(file: Path, shown: str, problems: Collector) -> bool:
    """A table file that cannot even be looked at (a symbolic link loop or to nothing)."""
    try:
        file.stat()
    except OSError as e:
        problems.add(Loc(shown), f"cannot read: {e.strerror or e}")
        return True
    return False


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _csv_header(file: Path, table: Table, problems: Collector) -> tuple[str, ...] | None:
    shown = display_path(file)
    try:
        with file.open("rb") as f:
            first = f.readline(MAX_LINE_BYTES + 1)
    except OSError as e:
        problems.add(Loc(shown), f"cannot read: {e.strerror or e}")
        return None
    if first.startswith(_UTF16_BOMS):
        problems.add(Loc(shown, 1, 1), "the file is UTF-16 (Excel \"Unicode Text\"): "
                                       "save it as CSV UTF-8")
        return None
    if not first.removeprefix(b"\xef\xbb\xbf").strip():
        problems.add(Loc(shown, 1, 1), "empty file: expected a header row naming the columns")
        return None
    # The first line: old Mac files end lines in CR alone, which `readline` does not split on.
    text = re.split(r"\r\n|\r|\n", first.decode("utf-8-sig", "surrogateescape"), maxsplit=1)[0]
    if (delimiter := _other_delimiter(text, table)) is not None:
        problems.add(Loc(shown, 1, 1), f"the file seems to be delimited by {delimiter}, but "
                                       "snapshot CSV files use ',' (save it with commas between "
                                       "fields)")
        return None
    try:
        # DuckDB skips the header by its own reading: a header it reads otherwise (a stray
        # quote) would make it skip data rows silently, so the header must be strict CSV.
        header = tuple(h.strip() for h in next(csv.reader([text], strict=True)))
    except csv.Error as e:
        problems.add(Loc(shown, 1, 1), f"the header row is not valid CSV ({e}): quote a column "
                                       "name whole, and never across lines")
        return None
    ok = True
    seen: dict[str, str] = {}
    for i, name in enumerate(header, 1):
        if has_bad_bytes(name):
            problems.add(Loc(shown, 1, i), f"column name {bytes_shown(name)} {NOT_UTF8}")
            ok = False
        elif not name:
            problems.add(Loc(shown, 1, i), "empty column name in the header")
            ok = False
        elif any(ord(ch) < 32 for ch in name):  # NUL and the like: no engine takes such a name
            problems.add(Loc(shown, 1, i), f"column name {name!r} holds a control character: "
                                           "a column name is text")
            ok = False
        elif name.lower() in seen:
            earlier = seen[name.lower()]
            also = "" if earlier == name else f" (as '{earlier}'; letter case does not count)"
            problems.add(Loc(shown, 1, i), f"column '{name}' appears twice in the header{also}")
            ok = False
        seen.setdefault(name.lower(), name)
    return header if ok else None


_DELIMITERS = {";": "';'", "\t": "tabs"}  # what spreadsheets write when not told ','


def _other_delimiter(header: str, table: Table) -> str | None:
    """How another delimiter is shown when the header, split on it and not on ',', names every
    required column of `table` (a spreadsheet set to a European locale writes ';')."""
    def names(delimiter: str) -> set[str]:
        try:
            return {h.strip().lower() for h in next(csv.reader([header], delimiter=delimiter))}
        except csv.Error:
            return set()

    others = [d for d in _DELIMITERS if d in header]
    required = {c.name for c in table.columns if c.required}
    if not others or required <= names(","):
        return None
    for delimiter in others:
        split = names(delimiter)
        if len(split) > 1 and required <= split:
            return _DELIMITERS[delimiter]
    return None


NOT_UTF8 = "is not valid UTF-8 text (Latin-1 or Windows bytes?): save the file as UTF-8"


def has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def bytes_shown(text: str) -> str:
    """A value holding undecodable bytes, shown with those bytes as \\xNN."""
    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "'" + (shown if len(shown) <= 60 else shown[:57] + "...") + "'"
