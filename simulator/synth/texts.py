"""The text files around the tables: the scenario, each snapshot's manifest and the forms.

The sample institution and `cutover generate` write them alike, so that both load through the same
inputs; only the institution, the comment and the word describing the data differ.
"""

from __future__ import annotations

# When each snapshot before the cutover was taken (the scenario's dates below).
TAKEN_AT = {"testload": "2025-09-20T06:00:00Z", "freeze": "2026-03-02T07:00:00Z",
            "extract": "2026-03-03T18:00:00Z"}
FORM_FILES = {"migration_form": "migration-form.xlsx.txt",
              "field_mapping_form": "field-mapping-form.csv"}


def scenario_text(institution: str, comment: str, team_email: str) -> str:
    """A scenario file with the sample's dates and options."""
    return f"""\
# {comment}
institution: {institution}
dates:
  testload: 2025-09-15
  freeze_start: 2026-03-02
  clean_data_delivered: 2026-03-11
  fulfillment_freeze: 2026-03-13
  go_live: 2026-03-16
options:
  reload_acquisitions: true
  retain_funds: false
  retain_licenses: true
  retain_courses: false
  authority_preferred_term_correction: false
  summon: false
allowed_emails: [{team_email}]
scrubbed_email_pattern: '@scrubbed\\.invalid$'
"""


def manifest_text(institution: str, stage: str, taken_at: str, forms: bool = False) -> str:
    """A snapshot.yaml; the extract's names the forms beside it."""
    text = (f"format_version: 1\ninstitution: {institution}\nstage: {stage}\n"
            f"taken_at: {taken_at}\n")
    if forms:
        text += "forms:\n" + "".join(f"  {key}: {name}\n" for key, name in FORM_FILES.items())
    return text


def forms(kind: str) -> dict[str, str]:
    """File name -> text of the extract's forms; `kind` says what the data is (fictional...)."""
    return {
        FORM_FILES["migration_form"]: f"Migration form ({kind}): answers as of the cutover.\n"
                                      "patron_primary_id_source: UNIV_ID\n",
        FORM_FILES["field_mapping_form"]: "legacy_field,alma_field\nPATRON_ID,primary_id\n"
                                          "PATRON_TYPE,user_group\n",
    }
