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

Rows = list[dict[str, Any]]
Tables = dict[str, Rows]

FREEZE_START, CLEAN_DATA = "2026-03-02", "2026-03-11"
BEFORE = "2026-02-10T10:00:00"
MERGED = {"reporting_codes", "fund_types", "fiscal_periods", "item_policies", "user_groups",
          "user_identifier_types", "block_definitions", "user_statistics_categories",
          "academic_departments"}


def _in_freeze(value: Any) -> bool:
    return bool(value) and FREEZE_START <= str(value)[:10] < CLEAN_DATA


def _patron_role(role_type: str) -> bool:
    return role_type.strip().lower() in ("patron", "200")


def cutover(freeze: Tables, extract: Tables) -> Tables:
    """Alma right after the cutover load, as the vendor describes it, plus the surprises."""
    users = [u for u in freeze["users"] if not _in_freeze(u.get("created_at"))]
    roles = freeze["user_roles"]
    patrons = {p["primary_id"].lower(): p for p in extract["patrons"]}
    staff_role = {r["primary_id"].lower() for r in roles if not _patron_role(r["role_type"])}
    kept: dict[str, dict[str, Any]] = {}
    for u in users:
        pid = u["primary_id"].lower()
        if u["record_type"] != "PUBLIC":
            row = dict(u)
            if _in_freeze(u.get("updated_at")):
                row["updated_at"] = BEFORE  # changes in the freeze are lost
            kept[pid] = row
    rejected = {pid for pid in patrons if pid in kept}  # patrons meeting staff are refused
    out_users = list(kept.values())
    out_roles = [dict(r) for r in roles if r["primary_id"].lower() in kept]
    for pid, p in patrons.items():
        if pid in rejected or pid == "n00007":  # surprise: a patron that did not load
            continue
        out_users.append({"primary_id": p["primary_id"], "record_type": "PUBLIC",
                          "account_type": "EXTERNAL", "user_group": p["user_group"],
                          "status": "ACTIVE", "origin": "MIGRATED", "username": p["username"],
                          "email": f"{pid}@scrubbed.invalid", "created_at": "2026-03-09T02:00:00",
                          "updated_at": "2026-03-09T02:00:00"})
        out_roles.append({"primary_id": p["primary_id"], "role_type": "Patron", "scope": "NFU",
                          "status": "ACTIVE"})
        if pid in staff_role:  # a public user with staff roles: the roles are kept
            for r in roles:
                if r["primary_id"].lower() == pid and not _patron_role(r["role_type"]):
                    if pid == "p02405":
                        continue  # surprise: the staff role was lost
                    out_roles.append(dict(r))
    out_users.append({"primary_id": "TEMP-LOADER", "record_type": "STAFF", "origin": "CREATED",
                      "account_type": "INTERNAL", "status": "ACTIVE"})  # surprise
    sets = []
    for s in freeze["sets"]:
        if _in_freeze(s.get("created_at")):
            continue
        if s["set_type"] == "ITEMIZED" and s["set_id"] != "SET007":  # surprise: SET007 stays
            continue
        row = dict(s)
        if _in_freeze(s.get("updated_at")):
            row["updated_at"] = BEFORE
        sets.append(row)
    config = []
    for c in freeze["configuration"]:
        if _in_freeze(c.get("created_at")) or c["area"] in ("online_services_order",
                                                            "cloud_app_configuration"):
            continue
        row = dict(c)
        if _in_freeze(c.get("updated_at")):
            row["updated_at"] = BEFORE
        if row.get("collection_id") and (row["area"], row["item_id"]) != (
                "digitization_profile", "DIG001"):  # surprise: this profile keeps its collection
            row["collection_id"] = ""
        config.append(row)
    alma_codes = {(c["table_name"], c["code"]) for c in freeze["code_tables"]}
    codes = [dict(c) for c in freeze["code_tables"]]
    codes += [dict(c) for c in extract["code_tables"]
              if c["table_name"] in MERGED and (c["table_name"], c["code"]) not in alma_codes]
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
        "users": out_users, "user_roles": out_roles, "sets": sets, "configuration": config,
        "code_tables": codes, "libraries": freeze["libraries"], "locations": freeze["locations"],
        "vendors": freeze["vendors"], "rs_partners": freeze["rs_partners"], "webhooks": webhooks,
        "jobs": jobs, "funds": extract["funds"], "fund_transactions": extract["fund_transactions"],
        "licenses": licenses, "courses": extract["courses"],
        "course_instructors": extract["course_instructors"],
        "analytics_reports": reports, "items": items, "loans": loans,
        "requests": requests, "parameters": freeze["parameters"],
    }


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


MANIFESTS = {
    "post-cutover": "format_version: 1\ninstitution: NFU\nstage: cutover\n"
                    "taken_at: 2026-03-11T08:00:00Z\n",
    "post-fulfillment": "format_version: 1\ninstitution: NFU\nstage: fulfillment\n"
                        "taken_at: 2026-03-15T08:00:00Z\n",
    "post-golive": "format_version: 1\ninstitution: NFU\nstage: golive\n"
                   "taken_at: 2026-03-16T12:00:00Z\n",
}


def post_snapshots(tables: dict[str, Tables]) -> dict[str, Tables]:
    after_cutover = cutover(tables["freeze"], tables["extract"])
    after_fulfillment = fulfillment(after_cutover)
    return {"post-cutover": after_cutover, "post-fulfillment": after_fulfillment,
            "post-golive": golive(after_fulfillment, tables["freeze"])}
