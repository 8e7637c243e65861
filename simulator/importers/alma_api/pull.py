"""`cutover snapshot pull`: Alma's REST API responses saved as a raw folder (docs/alma-api.md).

`pull` asks for each selected folder in the contract's order (a fan-out folder after the one
its items come from), through `pull_http.Client` (key in a header, throttled, retried), and
saves each page as it comes (`pull_files`: renamed into place, progress recorded). Paging asks
for `limit=100` from `offset` on, trusting neither a full page nor the count: it goes on after a
short page, stops at an empty page or once `total_record_count` records are in, and never asks
more than MAX_PAGES pages in a row. An interrupted pull, run again, continues where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from simulator.errors import Loc, Problem, UserError, display_path
from simulator.importers.alma_api import pull_http
from simulator.importers.alma_api.pull_endpoints import BY_FOLDER, LIMIT, Endpoint, select
from simulator.importers.alma_api.pull_files import (
    Mark,
    State,
    clear_parts,
    holds_files,
    item_name,
    page_name,
    write_atomic,
)
from simulator.importers.alma_api.pull_http import (
    AlmaError,
    Client,
    Page,
    Policy,
    PullError,
    check_base_url,
)

MAX_PAGES = 100_000  # pages of one request in a row at most: 10 million records

__all__ = ["Events", "Policy", "PullError", "Result", "pull"]


class Events(Protocol):
    """Progress: called after every saved page or item with the folder's totals so far;
    `total` is the record count Alma gave (a list) or the number of items (a fan-out, whose
    items are `of`, e.g. "libraries")."""

    def update(self, folder: str, mark: Mark, total: int | None, of: str | None) -> None: ...


class _NoEvents:
    def update(self, folder: str, mark: Mark, total: int | None, of: str | None) -> None:
        pass


@dataclass
class Result:
    """What a pull did: per folder its totals (`marks`), the folders already complete that were
    read rather than fetched (`reused`), warnings, and the API calls made."""

    out: Path
    marks: dict[str, Mark]
    reused: list[str]
    warnings: list[str] = field(default_factory=list)
    calls: int = 0
    remaining: str | None = None  # Alma's count of the day's calls left, when it sent one
    resumed: bool = False
    complete: bool = False  # no unfinished folder is left (the progress file is gone)


def pull(base_url: str, key: str, out: Path, only: str | None = None,
         policy: Policy | None = None, events: Events | None = None) -> Result:
    """Pull the selected folders (`only`: comma-separated names; None: all but the per-user
    ones) into `out`. UserError for bad usage (nothing fetched); PullError when the pull stops
    (the pages saved stay, and the same call continues from them)."""
    endpoints, asked = select(only)
    base = check_base_url(base_url)
    if not key:
        raise UserError(Problem(Loc("--api-key-env"), "the API key is empty"))
    if out.exists() and not out.is_dir():
        raise UserError(Problem(Loc(display_path(out)), "--out is a file, not a folder"))
    state = State.open(out, base)
    reused = _reused(out, endpoints, asked, state)
    todo = [e for e in endpoints if e.folder not in reused]
    for e in todo:
        state.marks.setdefault(e.folder, Mark())
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    state.save()
    result = Result(out, {e.folder: state.marks[e.folder] for e in todo}, sorted(reused),
                    resumed=state.resumed)
    with Client(base, key, policy or pull_http.DEFAULT) as client:
        puller = _Puller(client, out, state, events or _NoEvents(), result.warnings)
        try:
            for e in todo:
                puller.endpoint(e)
        except PullError:
            if not state.resumed and not any(m.cursor for m in state.marks.values()):
                state.discard(created)  # stopped before the first page: leave nothing behind
            raise
        finally:
            result.calls, result.remaining = client.calls, client.remaining
    result.complete = state.finish()
    return result


def _reused(out: Path, endpoints: list[Endpoint], asked: set[str], state: State) -> set[str]:
    """The folders that already hold files from elsewhere (an earlier, finished pull or a person):
    a parent brought along is read as it is; a folder asked for by name is refused."""
    problems, reused = [], set()
    for e in endpoints:
        folder = out / e.folder
        if e.folder in state.marks or not holds_files(folder):
            continue
        if e.folder in asked:
            problems.append(Problem(Loc(display_path(folder)), "already holds files, not from an "
                                    "unfinished pull into this folder: pull into a new folder"))
        else:
            reused.add(e.folder)
    if problems:
        raise UserError(problems)
    return reused


class _Puller:
    """One pull's client, folder, progress file, progress display and warnings."""

    def __init__(self, client: Client, out: Path, state: State, events: Events,
                 warnings: list[str]) -> None:
        self.client = client
        self.out = out
        self.state = state
        self.events = events
        self.warnings = warnings

    def endpoint(self, e: Endpoint) -> None:
        mark = self.state.marks[e.folder]
        if not mark.done:
            clear_parts(self.out / e.folder)
            if e.fans_out:
                self._items(e, mark)
            else:
                self._list(e, mark)
            mark.done = True
            self.state.save()
        self.events.update(e.folder, mark, None, e.items)

    def _list(self, e: Endpoint, mark: Mark) -> None:
        """A list endpoint's pages, from the saved offset on, each saved as it comes."""
        folder = self.out / e.folder
        for page, records, total in self._pages(e, e.path, dict(e.params), mark.offset):
            if records or mark.cursor == 0:  # an empty first page says "none"; keep it
                write_atomic(folder / page_name(mark.cursor + 1), page.body)
                mark.cursor += 1
                mark.pages += 1
                mark.records += len(records)
                mark.offset += len(records)
                self.state.save()
            self.events.update(e.folder, mark, total, None)

    def _items(self, e: Endpoint, mark: Mark) -> None:
        """A fan-out endpoint: one file per item, from the first item not yet done."""
        items = self._item_list(e)
        for index in range(mark.cursor, len(items)):
            ident, name = items[index]
            self._item(e, ident, name, mark)
            mark.cursor = index + 1
            self.state.save()
            self.events.update(e.folder, mark, len(items), e.items)

    def _item(self, e: Endpoint, ident: str, name: str, mark: Mark) -> None:
        """One item's pages, merged into one file; a refused item (not the key) is skipped."""
        file = item_name(name, e.name_is_data)
        if file is None:
            self.warnings.append(f"{e.folder}: '{name}' cannot be a file name; skipped")
            return
        path, params = e.request(ident, quote(ident, safe=""))
        try:
            pages = list(self._pages(e, path, params, 0))
        except AlmaError as err:
            if err.auth:
                raise
            self.warnings.append(f"{e.folder}: '{name}' skipped: {err}")
            return
        records = [r for _, rs, _ in pages for r in rs]
        if not records and not e.keep_empty:
            return
        write_atomic(self.out / e.folder / file, _merged(e, pages, records))
        mark.pages += sum(1 for _, rs, _ in pages if rs) or 1
        mark.records += len(records)

    def _item_list(self, e: Endpoint) -> list[tuple[str, str]]:
        """A fan-out endpoint's items (id, name): its names, or its parent's saved records."""
        if e.names:
            return [(n, n) for n in e.names]
        parent = BY_FOLDER[str(e.parent)]
        items: list[tuple[str, str]] = []
        seen: set[str] = set()
        missing = 0
        for path in sorted((self.out / parent.folder).glob("*.json")):
            try:
                data = json.loads(path.read_bytes())
            except (ValueError, UnicodeDecodeError):
                self.warnings.append(f"{e.folder}: {display_path(path)} is not JSON; not read")
                continue
            single = isinstance(data, dict) and parent.key not in data and e.name_field in data
            for rec in [data] if single else _records(data, parent.key, display_path(path)):
                ident, name = _text(rec, e.id_field), _text(rec, e.name_field)
                if ident is None or name is None:
                    missing += 1
                elif name.casefold() not in seen:
                    seen.add(name.casefold())
                    items.append((ident, name))
        if missing:
            self.warnings.append(f"{e.folder}: {missing:,} record(s) of {parent.folder}/ have no "
                                 f"{e.id_field} or {e.name_field}; skipped")
        if not items and holds_files(self.out / parent.folder):
            self.warnings.append(f"{e.folder}: no {parent.key} with a {e.name_field} in the JSON "
                                 f"files of {parent.folder}/ (XML files are not read here)")
        return items

    def _pages(self, e: Endpoint, path: str, params: dict[str, str],
               offset: int) -> Iterator[tuple[Page, list[Any], int | None]]:
        """The answers to one request, page by page from `offset` (one answer if unpaged)."""
        for _ in range(MAX_PAGES):
            query = {**params, "limit": str(LIMIT), "offset": str(offset)} if e.paged else params
            where = self.client.where(path, query)
            page = self.client.get(path, query)
            records = _records(page.data, e.key, where)
            total = _total(page.data)
            yield page, records, total
            offset += len(records)
            if not e.paged or (total is not None and offset >= total):
                return
            if not records:
                if total is not None:
                    self.warnings.append(f"{where}: an empty page although total_record_count "
                                         f"is {total:,}; {offset:,} records taken")
                return
        self.warnings.append(f"{self.client.where(path, params)}: stopped after {MAX_PAGES:,} "
                             "pages")


def _records(data: Any, key: str, where: str) -> list[Any]:
    """The records of a list page: [] when the list key is absent (Alma's empty list)."""
    found = data.get(key) if isinstance(data, dict) else None
    if found is None:
        return []
    if isinstance(found, dict):
        return [found]
    if not isinstance(found, list):
        raise PullError(f"{where}: '{key}' is neither a list nor an object")
    return found


def _total(data: dict[str, Any]) -> int | None:
    total = data.get("total_record_count")
    if isinstance(total, str) and total.isdigit():
        return int(total)
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def _text(record: Any, name: str) -> str | None:
    """A record's id or code as text; None when it has none."""
    value = record.get(name) if isinstance(record, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def _merged(e: Endpoint, pages: list[tuple[Page, list[Any], int | None]],
            records: list[Any]) -> bytes:
    """One item's file: its only answer as sent, or its pages as one answer of the same shape."""
    if len(pages) == 1:
        return pages[0][0].body
    data = dict(pages[0][0].data)
    data.pop(e.key, None)
    if records:
        data[e.key] = records
    total = pages[-1][2]
    if total is not None:
        data["total_record_count"] = total
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
