"""What Alma holds after each load of the sample institution, with a few deliberate surprises.

Written from the vendor's description of the cutover, independently of the rule pack, so the
demo's verification checks the rules as much as the loads. The surprises, each caught by
`cutover verify` (and asserted by key in the tests):

after the cutover load (post-cutover/)
- P02405, a public user with a staff role, lost that role        state_mismatch
- patron N00007 was not loaded                                     lost_unexpectedly
- itemized set SET007 survived                                     survived_unexpectedly
- webhook WH1 is still active                                      state_mismatch
- a user TEMP-LOADER that no input explains                        unexpected
- digitization profile DIG001 still shows its collection           state_mismatch
after the fulfillment load (post-fulfillment/, compared with post-cutover/)
- vendor V099 appeared                                             changed_at_fulfillment
- item 3100000010 has a different loan count                       loan_count_changed
- item 3100000020 is ON_LOAN with no active loan                   item_status_mismatch
- course instructor S0099 of CRS005 links to no user               instructor_unlinked
at go-live (post-golive/)
- vendor V005 still has a scrubbed e-mail address                  still_scrubbed
- scheduled job J003 was not enabled                               job_not_enabled
- acquisition_solr_save_enabled is still false                     parameter_not_enabled
"""

from __future__ import annotations

import copy
from typing import Any

from simulator.inputs.tables import MERGED_CODE_TABLES
from simulator.synth.sample_tables import BEFORE, CLEAN_DATA, FREEZE_START, INSTITUTION
from simulator.synth.texts import manifest_text

Rows = list[dict[str, Any]]
Tables = dict[str, Rows]


def _in_freeze(value: Any) -> bool:
    return bool(value) and FREEZE_START <= str(value)[:10] < CLEAN_DATA


def _patron_role(role_type: str) -> bool:
    return role_type.strip().lower() in ("patron", "200")


def _reverted(row: dict[str, Any]) -> dict[str, Any]:
    """A copy; changes made in the freeze are lost."""
    out = dict(row)
    if _in_freeze(row.get("updated_at")):
        out["updated_at"] = BEFORE
    return out


def cutover(freeze: Tables, extract: Tables) -> Tables:
    """Alma right after the cutover load, as the vendor describes it, plus the surprises."""
    users = [u for u in freeze["users"] if not _in_freeze(u.get("created_at"))]
    out_users, out_roles = _users_and_roles(users, freeze["user_roles"], extract["patrons"])
    loans = [dict(x) for x in extract["loans"] if not x.get("returned_at")]
    on_loan = {x["item_barcode"] for x in loans}
    items = [{**i, "status": "ON_LOAN" if i["barcode"] in on_loan else "IN_PLACE"}
             for i in extract["items"]]
    requests = [dict(r) for r in extract["requests"]
                if not (r["request_type"] == "HOLD" and r["status"] != "ON_HOLD_SHELF")]
    jobs = [{**j, "status": "DISABLED"} if j["job_type"] == "SCHEDULED" else dict(j)
            for j in freeze["jobs"]]
    webhooks = [{**w, "status": "ACTIVE" if w["profile_id"] == "WH1" else "INACTIVE"}
                for w in freeze["webhooks"]]  # surprise: WH1 stays active
    licenses = [{**lic, "linked_to_einventory": "false"} for lic in freeze["licenses"]]
    by_internal_id = {u["internal_id"]: u["primary_id"] for u in users}
    reports = [r for r in freeze["analytics_reports"]
               if r["folder"] == "INSTITUTION"
               or by_internal_id.get(r["owner_internal_id"]) == r["owner_primary_id"]]
    return {
        "users": out_users, "user_roles": out_roles, "sets": _sets(freeze["sets"]),
        "configuration": _configuration(freeze["configuration"]),
        "code_tables": _code_tables(freeze["code_tables"], extract["code_tables"]),
        "libraries": freeze["libraries"], "locations": freeze["locations"],
        "vendors": freeze["vendors"], "rs_partners": freeze["rs_partners"], "webhooks": webhooks,
        "jobs": jobs, "funds": extract["funds"], "fund_transactions": extract["fund_transactions"],
        "licenses": licenses, "courses": extract["courses"],
        "course_instructors": extract["course_instructors"],
        "analytics_reports": reports, "items": items, "loans": loans,
        "requests": requests, "parameters": freeze["parameters"],
    }


def _users_and_roles(users: Rows, roles: Rows, patrons: Rows) -> tuple[Rows, Rows]:
    """Staff and contacts stay with their roles; each patron loads as a public user with a
    patron role (and its staff roles kept), unless a kept user has its Primary ID (the load
    refuses it)."""
    kept = {u["primary_id"].lower(): _reverted(u) for u in users if u["record_type"] != "PUBLIC"}
    by_pid = {p["primary_id"].lower(): p for p in patrons}
    out_users = list(kept.values())
    out_roles = [dict(r) for r in roles if r["primary_id"].lower() in kept]
    staff_roles: dict[str, Rows] = {}
    for r in roles:
        if not _patron_role(r["role_type"]):
            staff_roles.setdefault(r["primary_id"].lower(), []).append(r)
    for pid, p in by_pid.items():
        if pid in kept or pid == "n00007":  # surprise: a patron that did not load
            continue
        out_users.append({"primary_id": p["primary_id"], "record_type": "PUBLIC",
                          "account_type": "EXTERNAL", "user_group": p["user_group"],
                          "status": "ACTIVE", "origin": "MIGRATED", "username": p["username"],
                          "email": f"{pid}@scrubbed.invalid", "created_at": "2026-03-09T02:00:00",
                          "updated_at": "2026-03-09T02:00:00"})
        out_roles.append({"primary_id": p["primary_id"], "role_type": "Patron",
                          "scope": INSTITUTION, "status": "ACTIVE"})
        if pid != "p02405":  # surprise: P02405's staff role was lost
            out_roles += [dict(r) for r in staff_roles.get(pid, [])]
    out_users.append({"primary_id": "TEMP-LOADER", "record_type": "STAFF", "origin": "CREATED",
                      "account_type": "INTERNAL", "status": "ACTIVE"})  # surprise
    return out_users, out_roles


def _sets(sets: Rows) -> Rows:
    """Sets made in the freeze go, and itemized sets, but for SET007 (a surprise)."""
    return [_reverted(s) for s in sets
            if not _in_freeze(s.get("created_at"))
            and (s["set_type"] != "ITEMIZED" or s["set_id"] == "SET007")]


def _configuration(config: Rows) -> Rows:
    """Items made in the freeze and two areas go; links to collections are cleared, but for
    DIG001's (a surprise)."""
    out = []
    for c in config:
        if _in_freeze(c.get("created_at")) or c["area"] in ("online_services_order",
                                                            "cloud_app_configuration"):
            continue
        row = _reverted(c)
        if row.get("collection_id") and (row["area"], row["item_id"]) != (
                "digitization_profile", "DIG001"):
            row["collection_id"] = ""
        out.append(row)
    return out


def _code_tables(alma: Rows, legacy: Rows) -> Rows:
    """Alma's codes, and the legacy codes Alma lacks of the merged tables."""
    alma_codes = {(c["table_name"], c["code"]) for c in alma}
    return [dict(c) for c in alma] + [
        dict(c) for c in legacy
        if c["table_name"] in MERGED_CODE_TABLES and (c["table_name"], c["code"]) not in alma_codes]


def fulfillment(after_cutover: Tables) -> Tables:
    """The fulfillment load changed nothing it should not have, but for the surprises."""
    t = copy.deepcopy(after_cutover)
    t["vendors"] = [*t["vendors"], {"code": "V099", "name": "Vendor 99", "status": "ACTIVE",
                                    "email": "v099@scrubbed.invalid"}]
    for item in t["items"]:
        if item["barcode"] == "3100000010":
            item["loan_count"] = str(int(item["loan_count"] or 0) + 5)
    on_loan = {x["item_barcode"] for x in t["loans"]}
    if "3100000020" not in on_loan:
        for item in t["items"]:
            if item["barcode"] == "3100000020":
                item["status"] = "ON_LOAN"
    t["course_instructors"] = [*t["course_instructors"],
                               {"course_code": "CRS005", "instructor_primary_id": "S0099"}]
    return t


def golive(after_fulfillment: Tables, freeze: Tables) -> Tables:
    """Go-live unscrubbed the addresses, enabled the schedule and the Solr parameters."""
    t = copy.deepcopy(after_fulfillment)
    t["vendors"] = [v for v in t["vendors"] if v["code"] != "V099"]
    t["course_instructors"] = [c for c in t["course_instructors"]
                               if c["instructor_primary_id"] != "S0099"]
    for table in ("users", "vendors", "rs_partners"):
        for row in t[table]:
            email = row.get("email") or ""
            if email.endswith("@scrubbed.invalid") and row.get("code") != "V005":
                row["email"] = email.replace("@scrubbed.invalid", "@northfield.example")
    enabled = {j["job_id"] for j in freeze["jobs"]
               if j["job_type"] == "SCHEDULED" and j["status"] == "ENABLED"}
    t["jobs"] = [{**j, "status": "ENABLED"} if j["job_id"] in enabled - {"J003"} else dict(j)
                 for j in t["jobs"]]
    t["parameters"] = [{**p, "value": "true"} if p["name"] == "acquisition_solr_indexing_enabled"
                       else dict(p) for p in t["parameters"]]
    return t


MANIFESTS = {"post-cutover": manifest_text(INSTITUTION, "cutover", "2026-03-11T08:00:00Z"),
             "post-fulfillment": manifest_text(INSTITUTION, "fulfillment", "2026-03-15T08:00:00Z"),
             "post-golive": manifest_text(INSTITUTION, "golive", "2026-03-16T12:00:00Z")}


def post_snapshots(tables: dict[str, Tables]) -> dict[str, Tables]:
    after_cutover = cutover(tables["freeze"], tables["extract"])
    after_fulfillment = fulfillment(after_cutover)
    return {"post-cutover": after_cutover, "post-fulfillment": after_fulfillment,
            "post-golive": golive(after_fulfillment, tables["freeze"])}
