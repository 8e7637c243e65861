"""What `cutover readiness` finds in the sample beyond the rules (see docs/commands/readiness.md).

The test load held the codes of that day: MED|JOURNALS and V019 were added since, in the legacy
system and in Alma; SCI|MAKER and V021 only in the legacy system. Three staff users changed since
the test load (two deleted and re-created, one renamed) and own user-folder reports; one was
deleted. A few addresses in Alma are neither scrubbed nor allowed, and a few migrated loans and
requests point at items or patrons that do not exist. Changes only, applied last: no random
draws, so every earlier record keeps its values.
"""

from __future__ import annotations

from simulator.synth.sample_tables import Sample

# (table, key) -> an address that is neither scrubbed nor, but for S0013's, allowed.
EMAILS = {("users", "S0012"): "lena.moreau@northfield.example",
          ("users", "S0013"): "ils-team@northfield.example",  # on the allowed list
          ("vendors", "V007"): "orders@booksupplier.example",
          ("rs_partners", "RS03"): "ill@partner3.example"}


def readiness_cases(g: Sample) -> None:
    codes_at_testload(g)
    staff_changed_since_testload(g)
    unscrubbed_emails(g)
    dangling_fulfillment(g)


def codes_at_testload(g: Sample) -> None:
    freeze, testload = g.tables["freeze"], g.tables["testload"]
    testload["libraries"] = [dict(row) for row in freeze["libraries"]]
    testload["locations"] = [dict(row) for row in freeze["locations"]
                             if (row["library_code"], row["code"]) != ("MED", "JOURNALS")]
    testload["vendors"] = [dict(row) for row in freeze["vendors"] if row["code"] != "V019"]
    testload["rs_partners"] = [dict(row) for row in freeze["rs_partners"]]


def staff_changed_since_testload(g: Sample) -> None:
    testload = g.tables["testload"]
    staff = {u["primary_id"]: u for u in g.tables["freeze"]["users"]
             if u["record_type"] == "STAFF"}
    for i in range(21, 38):
        row = dict(staff[f"S{i:04d}"])
        if i in (35, 36):
            row["internal_id"] = str(8_000_000 + i - 20)  # deleted and re-created since
        if i == 37:
            row["primary_id"] = row["username"] = "S0037-OLD"  # renamed since
        testload["users"].append(row)
    testload["users"].append({**staff["S0021"], "primary_id": "S0070", "username": "s0070",
                              "internal_id": "9999070"})  # deleted since the test load


def unscrubbed_emails(g: Sample) -> None:
    freeze = g.tables["freeze"]
    for (table, key), email in EMAILS.items():
        for row in freeze[table]:
            if row.get("primary_id", row.get("code")) == key:
                row["email"] = email


def dangling_fulfillment(g: Sample) -> None:
    """Loans and a request on items or patrons that do not exist."""
    extract = g.tables["extract"]
    extract["loans"] += [
        {"loan_id": "LN009001", "item_barcode": "3199990001", "primary_id": "N00001",
         "loan_date": "2026-02-02T10:00:00", "due_date": "2026-04-02T23:59:00",
         "returned_at": ""},
        {"loan_id": "LN009002", "item_barcode": "3100000001", "primary_id": "L-GONE-01",
         "loan_date": "2026-02-02T10:00:00", "due_date": "2026-04-02T23:59:00",
         "returned_at": ""},
        {"loan_id": "LN009003", "item_barcode": "3199990002", "primary_id": "N00002",
         "loan_date": "2025-11-02T10:00:00", "due_date": "2025-12-02T23:59:00",
         "returned_at": "2025-11-20T16:00:00"},  # returned: not migrated, not a problem
    ]
    extract["requests"].append({"request_id": "RQ009001", "request_type": "HOLD",
                                "status": "ON_HOLD_SHELF", "item_barcode": "3100000002",
                                "primary_id": "L-GONE-02"})
