"""Alma right after the cutover load, as the default rule pack predicts it, but for a few surprises.

The surprises are what `cutover verify` must catch: each a fixed small share of one kind of
user, with at least one record at any size, listed (with sample keys) by `surprises`.
"""

from __future__ import annotations

from typing import Any

from simulator.inputs.tables import MERGED_CODE_TABLES
from simulator.synth.consortium import Consortium, names

# Each a condition on a g_users row, its columns prefixed by `{a}`. (The first 2 x 9 users take
# the kinds in turn: user 16 is public_matched, 4 public_staff_lost, 3 and 12 public_staff; they
# make each surprise happen at any size.)
LOST_PATRON = "{a}kind = 'public_matched' and (u({a}i, 70) < 0.0001 or {a}i = 16)"
KEPT_STAFF = "{a}kind = 'public_staff_lost' and (u({a}i, 71) < 0.02 or {a}i = 4)"
WRONG_GROUP = "{a}kind = 'public_staff' and (u({a}i, 72) < 0.005 or {a}i = 3)"
LOST_ROLES = "{a}kind = 'public_staff' and (u({a}i, 73) < 0.005 or {a}i = 12)"
# Changes made in Alma during the freeze are undone by the load.
REVERTED = ("case when updated_at >= '2026-03-02' then created_at else updated_at end "
            "as updated_at")


def cutover(c: Consortium) -> None:
    c.manifest("cutover")
    _users(c)
    _configuration(c)
    _integrations(c)
    _from_extract(c)


def _users(c: Consortium) -> None:
    """Staff and contact users not made during the freeze (edits during the freeze undone),
    public users with staff roles refreshed from their patron, and the loaded patrons; rejected
    patrons (their Alma user is staff) are not there. Kept users keep their roles (refreshed
    ones lose their staff roles in the surprise); loaded patrons get one patron role."""
    c.run(f"""
        create or replace temp table g_post_users as
        select u.*, g.kind, g.i, g.inst, p.user_group as patron_group,
          ({WRONG_GROUP.format(a="g.")}) as wrong_group,
          ({LOST_ROLES.format(a="g.")}) as lost_roles
        from {c.parquet('freeze', 'users')} u join g_users g on g.pid = u.primary_id
          left join g_patrons p on p.src = 0 and p.i = g.i
        where (g.record_type <> 'PUBLIC' and not g.freeze_created)
          or g.kind in ('public_staff', 'public_staff_created')
          or ({KEPT_STAFF.format(a="g.")})
    """)
    c.run("""
        create or replace temp table g_loaded as
        select * from g_patrons where src = 1 or (kind = 'public_matched' and not lost)
    """)
    c.write("cutover", "users", """
        select primary_id, record_type, internal_id, account_type,
          case when wrong_group then 'VISITOR'
               when kind in ('public_staff', 'public_staff_created') then patron_group
               else user_group end as user_group, status, origin, username, email,
          created_at,
          case when kind in ('staff_created', 'contact') and updated_at >= '2026-03-02'
               then created_at else updated_at end as updated_at
        from g_post_users
        union all
        select primary_id, 'PUBLIC', cast(2000000000 + p as varchar), 'EXTERNAL',
          user_group, 'ACTIVE', 'MIGRATED', lower(primary_id),
          lower(replace(primary_id, '-', '.')) || '@mail.consortium.example',
          timestamp '2026-03-09 02:00:00', timestamp '2026-03-09 02:00:00'
        from g_loaded
    """)
    c.write("cutover", "user_roles", f"""
        select r.* from {c.parquet('freeze', 'user_roles')} r join g_post_users u
          on u.primary_id = r.primary_id
        where not (u.lost_roles and not is_patron_role(r.role_type))
        union all
        select primary_id, 'Patron', lib(inst, 0), 'ACTIVE' from g_loaded
    """)


def _configuration(c: Consortium) -> None:
    """What was made in the freeze is gone and what changed is reverted; itemized sets go but
    for two (a surprise), the merged code tables gain the extract's new codes."""
    freeze_sets = c.parquet("freeze", "sets")
    c.write("cutover", "sets", f"""
        select * replace ({REVERTED}) from {freeze_sets}
        where not (created_at >= '2026-03-02' and created_at < '2026-03-11')
          and (set_type = 'LOGICAL' or set_id in (select set_id from {freeze_sets}
               where set_type = 'ITEMIZED' order by set_id limit 2))
    """)
    c.write("cutover", "configuration", f"""
        select area, item_id, name, cast(null as varchar) as collection_id, created_at,
          {REVERTED}
        from {c.parquet('freeze', 'configuration')}
        where not (created_at >= '2026-03-02' and created_at < '2026-03-11')
          and area not in ('online_services_order', 'cloud_app_configuration')
    """)
    alma_codes = c.parquet("freeze", "code_tables")
    c.write("cutover", "code_tables", f"""
        select * from {alma_codes}
        union all
        select x.* from {c.parquet('extract', 'code_tables')} x
        where list_contains({names(MERGED_CODE_TABLES)}, x.table_name) and not exists (
          select 1 from {alma_codes} a
          where a.table_name = x.table_name and a.code = x.code)
    """)
    c.write("cutover", "analytics_reports", f"""
        select a.* from {c.parquet('freeze', 'analytics_reports')} a
        where folder = 'INSTITUTION' or exists (
          select 1 from {c.parquet('freeze', 'users')} u
          where u.internal_id = a.owner_internal_id
          and lower(u.primary_id) = lower(a.owner_primary_id))
    """)


def _integrations(c: Consortium) -> None:
    """Alma's own tables kept; webhooks and scheduled jobs deactivated but for one of each (the
    surprises), licenses unlinked from the electronic inventory."""
    for table in ("libraries", "locations", "vendors", "rs_partners", "parameters"):
        c.copy("cutover", table, "freeze")
    c.write("cutover", "webhooks", f"""
        select profile_id, name, case when profile_id = 'WH-0000' then status
          else 'INACTIVE' end as status, url from {c.parquet('freeze', 'webhooks')}
    """)
    c.write("cutover", "jobs", f"""
        select job_id, name, job_type, case when job_type = 'SCHEDULED' and job_id <>
          'J-00000' then 'DISABLED' else status end as status from {c.parquet('freeze', 'jobs')}
    """)
    c.write("cutover", "licenses", f"""
        select license_code, name, false as linked_to_einventory
        from {c.parquet('freeze', 'licenses')}
    """)


def _from_extract(c: Consortium) -> None:
    """The reloaded tables; only active loans and the holds on the shelf migrate."""
    for table in ("funds", "fund_transactions", "courses", "course_instructors", "items"):
        c.copy("cutover", table, "extract")
    loans = c.parquet("extract", "loans")
    c.write("cutover", "loans", f"select * from {loans} where returned_at is null")
    c.write("cutover", "requests", f"""
        select * from {c.parquet('extract', 'requests')}
        where not (upper(request_type) = 'HOLD' and upper(status) <> 'ON_HOLD_SHELF')
    """)


def surprises(c: Consortium) -> list[dict[str, Any]]:
    """What the cutover snapshot holds against the prediction, with up to 10 keys each."""
    def found(where: str, table: str = "g_users", key: str = "pid") -> dict[str, Any]:
        n = int(c.con.one(f"select count(*) from {table} where {where}"))
        keys = [r[0] for r in c.con.rows(
            f"select {key} from {table} where {where} order by {key} limit 10")]
        return {"count": n, "sample_keys": keys}

    sets = found("set_type = 'ITEMIZED'", c.parquet("cutover", "sets"), "set_id")
    return [
        {"entity": "users", "what": "patron predicted added is missing after the load",
         **found("lost", "g_patrons", "primary_id")},
        {"entity": "users", "what": "public user with a staff role and no patron, "
                                    "predicted removed, is still there",
         **found(KEPT_STAFF.format(a=""))},
        {"entity": "users", "what": "refreshed user has user group VISITOR instead of "
                                    "its patron's",
         **found(WRONG_GROUP.format(a=""))},
        {"entity": "user_roles", "what": "refreshed user lost its staff roles (predicted "
                                         "retained)",
         **found(LOST_ROLES.format(a=""))},
        {"entity": "sets", "what": "itemized sets still there (predicted removed)",
         **sets},
        {"entity": "webhooks", "what": "webhook still active (predicted deactivated)",
         "count": 1, "sample_keys": ["WH-0000"]},
        {"entity": "jobs", "what": "scheduled job still enabled (predicted deactivated)",
         "count": 1, "sample_keys": ["J-00000"]},
    ]
