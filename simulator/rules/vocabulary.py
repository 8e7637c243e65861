"""The names a rule pack may use to talk to the commands beyond its outcomes.

A rule tells readiness, the runbook and verify what they need to know about it by these names
(docs/rules.md, "Rule metadata"), so no Python module names a rule of the pack. Each command
keeps the implementation of its names in its own registry; tests check that every name here
has one.
"""

from __future__ import annotations

from simulator.inputs.tables import AREAS

__all__ = ["AREAS", "CHECKED_BY", "READINESS_OPTIONS", "WORKLOADS"]

# Runbook steps that name a workload: the records of every finding (of a rule or a readiness
# check) that declares the workload, counted once each.
WORKLOADS = {
    "reports-at-risk": "Analytics reports to save to the institution folder before the freeze",
    "logical-sets": "itemized sets to turn into logical sets before the freeze",
    "collections": "collections to re-create after the clean data is delivered",
    "collection-links": "configuration items whose collection must be selected again",
    "webhooks": "webhooks to switch on by hand at go-live",
    "holds": "unfulfilled holds to re-create in Alma at go-live",
    "authorities": "local authority records to reload after go-live",
}
# Readiness options a finding may be measured against (`info_up_to`), with the command line
# option that sets each.
READINESS_OPTIONS = {"holds_threshold": "--holds-threshold"}
# Readiness checks that look further at the records of the findings that name them.
CHECKED_BY = {
    "ready.added-since-testload": "says for each record whether the test load had its key",
    "ready.itemized-could-be-logical": "lists the removed itemized sets a logical set could "
                                       "replace",
}
