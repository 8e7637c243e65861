"""The replay (docs/offline-circ.md, "Replay"): the transactions applied in load order over the
snapshot's items and open loans, each seeing what the ones before it did, as Alma applies an
uploaded file.

A loan succeeds when the item is not on loan, a return when it is; a failed transaction changes
nothing. So an item is on loan before a transaction exactly when the item's previous applied
transaction was a loan (whether that one succeeded or found the item on loan already), or, with
none before, when the snapshot has an open loan of it: one window over each item's lines in order
gives every outcome, with no loop. The holder is the patron of the last loan that succeeded, or
the snapshot's borrower.

`oc_replay`: one row per applied line (`ok`, `holder` before it, `last_ok`: the line whose
success set the state it met, null for the snapshot's); `oc_state`: each item the files touch,
before and after; `oc_patron_state`: the loans of each patron concerned, before and after.
"""

from __future__ import annotations

from simulator import db
from simulator.commands.offline_circ.opening import SCHEMA

_BEFORE = "partition by barcode order by seq rows between unbounded preceding and 1 preceding"


def run(con: db.Connection) -> None:
    """`oc_open`, `oc_replay`, `oc_state` and `oc_patron_state`."""
    loans, users = db.qualified(SCHEMA, "loans"), db.qualified(SCHEMA, "users")
    # The snapshot's open loans of the items the files name, each borrower as the users table
    # spells the Primary ID (letter case ignored, as everywhere).
    con.execute(f"""
        create or replace temp table oc_open as
        select l.item_barcode as barcode,
               arg_min(coalesce(u.primary_id, l.primary_id), l.loan_id) as pid
        from {loans} l left join {users} u on lower(u.primary_id) = lower(l.primary_id)
        where l.returned_at is null
          and l.item_barcode in (select barcode from oc_facts where eligible)
        group by l.item_barcode""")
    con.execute(f"""
        create or replace temp table oc_replay as
        with e as (
            select seq, barcode, kind, pid,
                   lag(kind) over (partition by barcode order by seq) as previous
            from oc_facts where eligible),
        s as (
            select e.*, o.pid as lent_to,
                   case when previous is null then o.barcode is not null
                        else previous = 'L' end as on_loan
            from e left join oc_open o using (barcode)),
        t as (select s.*, (kind = 'L') <> on_loan as ok from s)
        select seq, barcode, kind, pid, on_loan, ok,
               case when on_loan then coalesce(last_value(case when ok and kind = 'L' then pid
                   end ignore nulls) over ({_BEFORE}), lent_to) end as holder,
               last_value(case when ok then seq end ignore nulls) over ({_BEFORE}) as last_ok
        from t""")
    _state(con)
    _patrons(con, loans)


def _state(con: db.Connection) -> None:
    con.execute("""
        create or replace temp table oc_state as
        with per_item as (
            select barcode, arg_max(kind, seq) as last_kind,
                   arg_max(pid, seq) filter (where ok and kind = 'L') as last_borrower,
                   max(seq) filter (where ok) as last_ok
            from oc_replay group by barcode),
        s as (
            select p.barcode, o.barcode is not null as was_on_loan, coalesce(o.pid, '') as was_to,
                   p.last_kind = 'L' as is_on_loan,
                   case when p.last_kind = 'L' then coalesce(p.last_borrower, o.pid, '')
                        else '' end as is_to, p.last_ok
            from per_item p left join oc_open o using (barcode))
        select s.barcode,
               case when was_on_loan then 'on_loan' else 'available' end as before,
               was_to as before_primary_id,
               case when is_on_loan then 'on_loan' else 'available' end as after,
               is_to as after_primary_id,
               case when not was_on_loan and is_on_loan then 'loaned'
                    when was_on_loan and not is_on_loan then 'returned'
                    when is_on_loan and lower(was_to) <> lower(is_to) then 'loaned to another'
                    else 'unchanged' end as change,
               coalesce(l.file, '') as file, l.line
        from s left join oc_lines l on l.seq = s.last_ok
        order by s.barcode""")


def _patrons(con: db.Connection, loans: str) -> None:
    con.execute(f"""
        create or replace temp table oc_patron_state as
        with touched as (
            select before_primary_id as pid from oc_state where before = 'on_loan'
            union select after_primary_id from oc_state where after = 'on_loan'
            union select pid from oc_replay where ok and kind = 'L'),
        folded as (select lower(pid) as id, min(pid) as primary_id from touched group by 1),
        before as (
            select lower(primary_id) as id, count(distinct item_barcode) as n from {loans}
            where returned_at is null and lower(primary_id) in (select id from folded)
            group by 1),
        moved as (
            select id, sum(gained) as gained, sum(lost) as lost from (
                select lower(after_primary_id) as id, 1 as gained, 0 as lost from oc_state
                where after = 'on_loan' and not (before = 'on_loan'
                    and lower(before_primary_id) = lower(after_primary_id))
                union all
                select lower(before_primary_id), 0, 1 from oc_state
                where before = 'on_loan' and not (after = 'on_loan'
                    and lower(before_primary_id) = lower(after_primary_id)))
            group by id),
        acted as (
            select lower(coalesce(pid, holder)) as id,
                   count(*) filter (where kind = 'L') as loaned,
                   count(*) filter (where kind = 'R') as returned
            from oc_replay where ok group by 1)
        select f.primary_id, coalesce(b.n, 0) as loans_before,
               coalesce(b.n, 0) + coalesce(m.gained, 0) - coalesce(m.lost, 0) as loans_after,
               coalesce(a.loaned, 0) as loaned, coalesce(a.returned, 0) as returned
        from folded f left join before b using (id) left join moved m using (id)
        left join acted a using (id)
        order by f.primary_id""")
