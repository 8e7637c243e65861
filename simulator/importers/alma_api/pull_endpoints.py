"""What `cutover snapshot pull` asks Alma for: one `Endpoint` per folder of the raw folder.

The folders, requests and list keys are docs/alma-api.md's table (the contract import reads).
A list endpoint is fetched in pages into `<folder>/page-NNNNNN.json`; a fan-out endpoint asks
once per item (a code table name, a library of `libraries/`, a fund of `funds/`, ...) and
writes one file per item, `<folder>/<name>.json`, its pages merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import Loc, Problem, UserError
from simulator.importers.alma_api import map_config
from simulator.importers.alma_api.folders import BY_NAME
from simulator.inputs.yamlsrc import suggest

LIMIT = 100  # records per page: Alma's largest `limit`

# The code tables import maps (docs/alma-api.md, "Field mapping", code_tables.table_name).
CODE_TABLES = tuple(map_config.CODE_TABLES)
JOB_TYPES = ("MANUAL", "SCHEDULED", "OTHER")  # GET /conf/jobs filters by one type per request


@dataclass(frozen=True)
class Endpoint:
    """One folder of the raw folder and the requests that fill it.

    `path` is under the base URL; in a fan-out endpoint `{id}` in the path or in a parameter
    value is the item's id. Items come from `names` (fixed) or from the records of the folder
    `parent` (its `id_field` goes into the request, its `name_field` names the file).
    """

    folder: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    paged: bool = True  # `limit` and `offset` (not libraries, locations or code tables)
    names: tuple[str, ...] = ()
    parent: str | None = None
    id_field: str = "id"
    name_field: str = "code"
    name_is_data: bool = True  # import reads the file name (a library code): it must be kept
    keep_empty: bool = True  # write an item's file even when it has no records
    opt_in: bool = False  # only with --only: one request (or more) per user
    noun: str = ""  # what `names` are, for progress

    @property
    def key(self) -> str:
        """The list key of a response: the one import reads."""
        return BY_NAME[self.folder].list_key

    @property
    def fans_out(self) -> bool:
        return bool(self.names) or self.parent is not None

    @property
    def items(self) -> str | None:
        """What a fan-out endpoint asks once for each (progress counts them), else None."""
        return self.parent or self.noun or None

    def request(self, ident: str, quoted: str) -> tuple[str, dict[str, str]]:
        """The path and parameters of a fan-out item's request (`quoted`: `ident` for a path)."""
        path = self.path.replace("{id}", quoted)
        return path, {k: v.replace("{id}", ident) for k, v in self.params}


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("users", "/users", params=(("expand", "full"),)),
    Endpoint("code-tables", "/conf/code-tables/{id}", paged=False, names=CODE_TABLES,
             noun="code tables"),
    Endpoint("sets", "/conf/sets"),
    Endpoint("integration-profiles", "/conf/integration-profiles",
             params=(("type", "WEBHOOKS"),)),
    Endpoint("jobs", "/conf/jobs", params=(("type", "{id}"),), names=JOB_TYPES,
             name_is_data=False, noun="job types"),
    Endpoint("libraries", "/conf/libraries", paged=False),
    Endpoint("locations", "/conf/libraries/{id}/locations", paged=False,
             parent="libraries", id_field="code"),
    Endpoint("vendors", "/acq/vendors"),
    Endpoint("funds", "/acq/funds", params=(("mode", "ALL"),)),
    Endpoint("fund-transactions", "/acq/funds/{id}/transactions",
             parent="funds"),
    Endpoint("licenses", "/acq/licenses"),
    Endpoint("courses", "/courses"),
    Endpoint("reading-lists", "/courses/{id}/reading-lists", paged=False,
             parent="courses"),
    Endpoint("loans", "/users/{id}/loans", parent="users",
             id_field="primary_id", name_field="primary_id", name_is_data=False,
             keep_empty=False, opt_in=True),
    Endpoint("requests", "/users/{id}/requests", parent="users",
             id_field="primary_id", name_field="primary_id", name_is_data=False,
             keep_empty=False, opt_in=True),
)
BY_FOLDER = {e.folder: e for e in ENDPOINTS}


def select(only: str | None) -> tuple[list[Endpoint], set[str]]:
    """The endpoints to pull, in order, and the folders asked for by name.

    Without `only`, every endpoint but the opt-in ones (loans, requests). A fan-out endpoint
    brings its parent along (locations needs libraries): a parent already complete in the raw
    folder is read, not fetched again. An unknown name is a usage error naming the known ones.
    """
    if only is None:
        asked = {e.folder for e in ENDPOINTS if not e.opt_in}
    else:
        asked = {n.strip() for n in only.split(",") if n.strip()}
        known = ", ".join(BY_FOLDER)
        problems = [Problem(Loc("--only"), f"unknown folder '{n}'{suggest(n, BY_FOLDER)}; the "
                                           f"known ones are {known}")
                    for n in sorted(asked - set(BY_FOLDER))]
        if not asked:
            problems.append(Problem(Loc("--only"), f"no folder named; the known ones are {known}"))
        if problems:
            raise UserError(problems)
    wanted = set(asked)
    for name in asked:
        parent = BY_FOLDER[name].parent
        if parent is not None:
            wanted.add(parent)
    return [e for e in ENDPOINTS if e.folder in wanted], asked
