"""The sample's users as Alma API responses (docs/alma-api.md): pages of
`GET /users?expand=full` in Primary ID order, one user (SINGLE) saved alone as `GET /users/{id}`
and left out of the pages, and one empty page after the last (a pull that asked once more)."""

from __future__ import annotations

from collections.abc import Mapping

from simulator.synth.alma_api_shapes import (
    INSTITUTION_NAME,
    Obj,
    Rows,
    awkward,
    coded,
    day,
    grouped,
    object_text,
    ordered,
    pages,
    present,
    text,
    timestamp,
)
from simulator.synth.sample_tables import FIRST, INSTITUTION, LAST

# The user written as a single-object file (alma-formats.md section 6).
SINGLE = "S0001"
RECORD_TYPES = {"PUBLIC": "Public", "STAFF": "Staff", "CONTACT": "Contact"}
PATRON_ROLE = ("200", "Patron")
# A circulation desk operator's role names the desk it works at.
DESK_PARAMETER = {"type": {"value": "CirculationDesk", "desc": "Circulation Desk"},
                  "scope": {"value": "MAIN", "desc": "Main Library"},
                  "value": {"value": "DEFAULT_CIRC_DESK", "desc": "Main circulation desk"}}


def names(extract: Mapping[str, Rows]) -> dict[str, tuple[str, str]]:
    """Lower-cased Primary ID -> (first, last) from the extract's patrons, whose e-mail address
    is the person's name (`ada.quist4@...`)."""
    out: dict[str, tuple[str, str]] = {}
    for row in extract.get("patrons", []):
        local = text(row, "email").split("@")[0]
        first, _, last = local.partition(".")
        out[text(row, "primary_id").lower()] = (first.title(), last.rstrip("0123456789").title())
    return out


def name(pid: str, n: int, known: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    return known.get(pid.lower(), (FIRST[n % len(FIRST)], LAST[(n * 7) % len(LAST)]))


def role(row: Mapping[str, object]) -> Obj:
    """A `user_role[]` entry: the patron role by its code 200, other roles as the freeze names
    them."""
    kind = text(row, "role_type")
    code, desc = PATRON_ROLE if kind.strip().lower() in ("patron", "200") else (kind, kind)
    scope = text(row, "scope")
    return {"status": coded(text(row, "status")),
            "scope": coded(scope, INSTITUTION_NAME if scope == INSTITUTION else scope),
            "role_type": coded(code, desc),
            "parameter": [DESK_PARAMETER] if kind == "Circulation Desk Operator" else []}


def emails(row: Mapping[str, object], n: int) -> list[Obj]:
    """The user's address, preferred; every 50th user also has a home address listed first."""
    address = text(row, "email")
    if not address:
        return []
    school = {"email_address": address, "description": "", "preferred": True,
              "segment_type": "External",
              "email_type": [{"value": "school", "desc": "School"}]}
    if n % 50 != 7:
        return [school]
    home = {"email_address": address.replace("@", ".home@"), "description": "",
            "preferred": False, "segment_type": "External",
            "email_type": [{"value": "personal", "desc": "Personal"}]}
    return [home, school]


def user(row: Mapping[str, object], n: int, roles: list[Mapping[str, object]],
         person: tuple[str, str]) -> Obj:
    """A full user object (`expand=full`); users.internal_id, origin and username are not in it."""
    rtype, created = text(row, "record_type"), text(row, "created_at")
    first, last = person
    obj: Obj = {
        "primary_id": text(row, "primary_id"), "first_name": first, "last_name": last,
        "full_name": f"{first} {last}",
        "record_type": coded(rtype, RECORD_TYPES.get(rtype)),
        "account_type": coded(text(row, "account_type")),
        "status": coded(text(row, "status")), "status_date": day(created),
        "user_group": awkward(coded(text(row, "user_group")), n),
        "expiry_date": None if rtype == "CONTACT" else "2027-08-31Z",
        "purge_date": None if rtype == "CONTACT" else "2028-08-31Z",
        "loans": None, "requests": None, "fees": None,
        "contact_info": {"address": [], "phone": [], "email": emails(row, n)},
        "user_identifier": [], "user_block": [], "user_note": [],
        "created_date": timestamp(created),
        "last_modified_date": timestamp(text(row, "updated_at")),
    }
    if roles:
        obj["user_role"] = [role(r) for r in roles]
    elif n % 2:
        obj["user_role"] = []  # the others without roles have no user_role key at all
    return present(obj)


def users(freeze: Mapping[str, Rows], extract: Mapping[str, Rows]) -> dict[str, str]:
    roles = grouped(ordered(freeze, "user_roles"), "primary_id")
    known = names(extract)
    records = [user(row, n, roles.get(text(row, "primary_id"), []),
                    name(text(row, "primary_id"), n, known))
               for n, row in enumerate(ordered(freeze, "users"))]
    out = pages("users", "user", [u for u in records if u["primary_id"] != SINGLE],
                empty_last=True)
    for single in (u for u in records if u["primary_id"] == SINGLE):
        out[f"users/{SINGLE}.json"] = object_text(single)
    return out
