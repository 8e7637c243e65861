"""The sample's what-if variants (`sample_data/variants/`), used by `cutover demo`.

Each asks one question an analyst of the sample institution would ask, and each answer shows in
the what-if report: blockers that appear or clear, records that change outcome, and effects that
cascade from one table to another. They are part of the generated sample (simulator.synth.sample).
"""

from __future__ import annotations

# Migrated public users of the sample whose patrons come again in the extract (P00001-P02450,
# except every 97th, which arrives in lower case, and P02401-P02440, who hold staff roles).
CONVERTED = ("P00011", "P00012", "P00013", "P00014", "P00015")

RETAIN_FUNDS = """\
# What if Northfield keeps its implementation funds and does not reload acquisitions?
# Expect: the funds stay (their transactions go), orders and invoices are no longer loaded (so
# the orders of the vendor missing in Alma stop being a blocker), and fund F007 becomes a
# blocker: its fiscal period in the extract differs from Alma's.
name: retain-funds
options: {retain_funds: true, reload_acquisitions: false}
assume:
  # Fund F015 is assumed closed in Alma before the freeze; the layered rule below drops it.
  - {entity: funds, where: "fund_code = 'F015'", set: {status: INACTIVE}}
rules: my-layer/
"""

MY_LAYER_FUNDS = """\
# A layer over the default rule pack (see docs/formats/rule-packs.md): Northfield's own decision,
# tried before the default rule that keeps retained funds.
entity: funds
side: alma
rules:
  - id: nfu.funds.inactive-not-kept
    before: funds.retained
    when: $retain_funds and status = 'INACTIVE'
    outcome: removed
    reason: >-
      Northfield does not keep closed funds even when it asks the vendor to keep its
      implementation funds; they are cleaned at cutover.
    cite: Data and Configuration Elements Retained at Cutover (Funds)
    confidence: inferred
    finding:
      severity: info
      title: Closed funds are dropped although funds are retained (Northfield's decision)
      fix: >-
        Nothing to do if the funds are really closed; otherwise set them active before the
        freeze.
"""

CONVERT_STAFF = f"""\
# What if five migrated public users are converted to staff in Alma before the cutover, and a
# circulation desk account is created?
# Expect: the five users are retained instead of removed, and their incoming patrons (same
# Primary ID) are rejected by the load; the desk account appears, retained.
name: convert-staff
assume:
  - entity: users
    where: "primary_id in ({', '.join(repr(p) for p in CONVERTED)})"
    set: {{record_type: STAFF, user_group: STAFF}}
  - entity: users
    insert:
      - {{primary_id: DESK01, record_type: STAFF, origin: CREATED, account_type: INTERNAL,
         user_group: STAFF, status: ACTIVE, created_at: 2026-02-20T09:00:00}}
"""

LATER_FREEZE = """\
# What if the freeze starts a week later, and the makerspace location is dropped from the
# legacy data before the final extract?
# Expect: what was created or changed in Alma on 5 March is no longer inside the freeze, so it
# is kept instead of removed or reverted; the location missing in Alma stops being a blocker
# (the record disappears from the extract); itemized set SET017, deleted by hand, disappears.
name: later-freeze
dates: {freeze_start: 2026-03-09}
assume:
  - {side: extract, entity: locations, where: "library_code = 'SCI' and code = 'MAKER'",
     delete: true}
  - {entity: sets, where: "set_id = 'SET017'", delete: true}
"""


def files() -> dict[str, str]:
    """Relative path (under the sample folder) -> text."""
    return {
        "variants/retain-funds.yaml": RETAIN_FUNDS,
        "variants/my-layer/funds.yaml": MY_LAYER_FUNDS,
        "variants/convert-staff.yaml": CONVERT_STAFF,
        "variants/later-freeze.yaml": LATER_FREEZE,
    }
