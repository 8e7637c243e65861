"""The sample institution's freeze as Alma API responses: `sample_data/alma-api/`, a raw folder
in the layout of docs/alma-api.md ("The raw folder"), which `cutover snapshot import alma-api`
turns back into a snapshot and `make demo` predicts from.

Written from the same rows as `sample_data/freeze/` (`sample.files` calls `files`), in the shapes
of ../shared/domain/alma-formats.md section 1, with some of the awkward ones of its section 6 (a
desc missing, null, empty or padded; users without a `user_role` key; an empty page after the
last; one user saved alone; `enabled` as a string or left out; empty per-parent lists).

It holds what `cutover snapshot pull` fetches by default. Not written:
- what the API does not say (docs/alma-api.md): users' internal_id, origin and username,
  webhooks' status;
- code tables without an Alma name in docs/alma-api.md (the sample's letter_types and
  call_number_types);
- loans and requests: their endpoints are per user (`pull --only loans,requests`), and the files
  of a per-user pull are named by the users holding loans, which the sample draws at random;
- tables with no endpoint there (collections, configuration, analytics_reports, authorities,
  items, rs_partners, parameters, citations).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from simulator.synth import alma_api_config as config
from simulator.synth import alma_api_users as people
from simulator.synth.alma_api_shapes import Rows

FOLDER = "alma-api"
# The endpoints written from the freeze's tables, in the order of docs/alma-api.md.
ENDPOINTS: tuple[Callable[[Mapping[str, Rows]], dict[str, str]], ...] = (
    config.code_tables, config.sets, config.integration_profiles, config.jobs, config.libraries,
    config.vendors, config.funds, config.licenses, config.courses,
)


def files(tables: Mapping[str, Mapping[str, Rows]]) -> dict[str, str]:
    """Relative path (under FOLDER) -> text of every response, from the sample's tables by
    snapshot (the freeze; the extract's patrons give the users their names)."""
    freeze = tables["freeze"]
    out = people.users(freeze, tables["extract"])
    for endpoint in ENDPOINTS:
        out.update(endpoint(freeze))
    return {f"{FOLDER}/{path}": text for path, text in sorted(out.items())}
