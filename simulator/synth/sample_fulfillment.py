"""The sample's inventory and fulfillment: items, loans and requests in Alma and the extract.

Run after the users (loans and requests go to the extract's patrons) and the configuration: the
random draws continue the sample's one stream.
"""

from __future__ import annotations

from simulator.synth.sample_tables import LIBRARIES, LOCATIONS, Sample

EXTRACT_ITEMS = 6000


def fulfillment(g: Sample) -> None:
    alma(g)
    legacy(g)


def alma(g: Sample) -> None:
    """Alma's own inventory at the freeze (a sample, on the migrated public users)."""
    r = g.r
    for i in range(1, 501):
        lib = r.choice(LIBRARIES)
        g.add("freeze", "items", {"barcode": f"39{i:08d}", "library_code": lib,
                                  "location_code": r.choice(LOCATIONS[lib]),
                                  "status": "IN_PLACE", "loan_count": str(r.randint(0, 9))})
    for i in range(1, 201):
        g.add("freeze", "loans", {"loan_id": f"AL{i:05d}", "item_barcode": f"39{i:08d}",
                                  "primary_id": f"P{r.randint(1, 2600):05d}",
                                  "loan_date": "2026-02-01T12:00:00",
                                  "due_date": "2026-03-01T23:59:00", "returned_at": ""})
    for i in range(1, 51):
        g.add("freeze", "requests", {"request_id": f"AR{i:05d}", "request_type": "HOLD",
                                     "status": "NOT_STARTED",
                                     "item_barcode": f"39{i + 300:08d}",
                                     "primary_id": f"P{r.randint(1, 2600):05d}"})


def legacy(g: Sample) -> None:
    """The extract's inventory; some loans returned, some holds on the shelf (those migrate)."""
    r = g.r
    patrons = [p["primary_id"] for p in g.tables["extract"]["patrons"]]
    for i in range(1, EXTRACT_ITEMS + 1):
        lib = r.choice(LIBRARIES)
        g.add("extract", "items", {"barcode": f"31{i:08d}", "library_code": lib,
                                   "location_code": r.choice(LOCATIONS[lib]),
                                   "status": "IN_PLACE", "loan_count": str(r.randint(0, 40))})
    for i in range(1, 1501):
        returned = "" if i <= 1100 else "2026-02-20T09:15:00"
        g.add("extract", "loans", {"loan_id": f"LN{i:06d}",
                                   "item_barcode": f"31{r.randint(1, EXTRACT_ITEMS):08d}",
                                   "primary_id": r.choice(patrons),
                                   "loan_date": "2026-01-15T10:00:00",
                                   "due_date": "2026-04-15T23:59:00", "returned_at": returned})
    for i in range(1, 301):
        kind, status = ("HOLD", "ON_HOLD_SHELF") if i <= 80 else \
            ("HOLD", "NOT_STARTED") if i <= 260 else ("BOOKING", "ACTIVE")
        g.add("extract", "requests", {"request_id": f"RQ{i:06d}", "request_type": kind,
                                      "status": status,
                                      "item_barcode": f"31{r.randint(1, EXTRACT_ITEMS):08d}",
                                      "primary_id": r.choice(patrons)})
