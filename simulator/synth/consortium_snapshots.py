"""The snapshots before the cutover: the test load, the freeze and the final extract.

Users, roles and patrons are read from the population (g_users, g_patrons, g_staff); the
inventory and fulfillment tables are drawn per row number; the configuration tables are
consortium_config's.
"""

from __future__ import annotations

from simulator import db
from simulator.synth import consortium_config
from simulator.synth.consortium import LOCATIONS, Consortium, names

STAFF_ROLES = ("Circulation Desk Operator", "Cataloger", "Purchase Operator",
               "Fulfillment Services Operator", "General System Administrator",
               "Requests Operator", "Repository Manager", "Analytics Designer")


def users_select(testload: bool = False) -> str:
    """Alma's users; at the test load only the migrated ones, converted staff still public."""
    if testload:
        where = "origin = 'MIGRATED'"
        record_type = "case when kind = 'staff_converted' then 'PUBLIC' else record_type end"
        group = ("case when kind = 'staff_converted' then 'FACULTY' else user_group end")
    else:
        where, record_type, group = "true", "record_type", "user_group"
    return f"""
        select pid as primary_id, {record_type} as record_type, internal_id,
          case when origin = 'MIGRATED' then 'EXTERNAL' else 'INTERNAL' end as account_type,
          {group} as user_group,
          case when u2 > 0.97 then 'INACTIVE' else 'ACTIVE' end as status, origin,
          lower(pid) as username, lower(pid) || '@scrubbed.invalid' as email,
          case when freeze_created then day('2026-03-02', u3, 8)
               when origin = 'MIGRATED' then day('2025-09-15', u3, 0.25)
               else day('2025-09-20', u3, 150) end as created_at,
          case when freeze_created or freeze_changed then day('2026-03-02', u4, 8)
               when origin = 'MIGRATED' and {'false' if testload else 'true'}
               then day('2025-09-16', u4, 160)
               when origin = 'MIGRATED' then day('2025-09-15', u3, 0.25)
               else day('2025-09-20', u3, 150) end as updated_at
        from g_users where {where}
    """


def roles_select() -> str:
    return f"""
        select pid as primary_id,
          case when r.range < n_patron_roles then
                 case when u(i * 16 + r.range, 6) < 0.5 then 'Patron' else '200' end
               else {names(STAFF_ROLES)}[(r.range - n_patron_roles + i) % {len(STAFF_ROLES)}
                                          + 1] end as role_type,
          case when r.range < n_patron_roles then lib(inst, r.range) else inst(inst)
               end as scope,
          case when u(i * 16 + r.range, 7) < 0.01 then 'INACTIVE' else 'ACTIVE'
               end as status
        from g_users join range(10) r on r.range < n_patron_roles + n_staff_roles
    """


def items_select(prefix: str, count: int) -> str:
    """Alma's items (barcodes A...) or the legacy inventory (B...)."""
    # Every 50,000th extract item sits in a location the extract has and Alma lacks.
    maker = "range % 50000 = 7" if prefix == "B" else "false"
    return f"""
        select {db.literal(prefix)} || lpad(cast(range as varchar), 10, '0') as barcode,
          case when {maker} then 'I01-SCI' else lib(range % $k + 1, (range // $k) % 6)
               end as library_code,
          case when {maker} then 'MAKER'
               else {names(LOCATIONS)}[cast(floor(u(range, 11) * 5) as int) + 1]
               end as location_code,
          case when u(range, 12) < 0.15 then 'ON_LOAN' else 'IN_PLACE' end as status,
          cast(floor(u(range, 13) * u(range, 13) * 60) as bigint) as loan_count
        from range({int(count)})
    """


def testload(c: Consortium) -> None:
    c.manifest("testload")
    c.write("testload", "users", users_select(testload=True))


def freeze(c: Consortium) -> None:
    p, w = c.p, c.write
    c.manifest("freeze")
    w("freeze", "users", users_select())
    w("freeze", "user_roles", roles_select())
    consortium_config.write(c, "freeze")
    w("freeze", "items", items_select("A", c.count(p.alma_items)))
    w("freeze", "loans", """
        select 'AL' || lpad(cast(range as varchar), 9, '0') as loan_id,
          'A' || lpad(cast((range * 7919) % $items as varchar), 10, '0') as item_barcode,
          g.pid as primary_id, day('2026-01-10', u(range, 30), 45) as loan_date,
          day('2026-03-20', u(range, 31), 60) as due_date,
          cast(null as timestamp) as returned_at
        from range($loans) join g_users g on g.i = (range * 104729) % $n
    """, items=c.count(p.alma_items), loans=c.count(p.alma_loans))
    w("freeze", "requests", """
        select 'AR' || lpad(cast(range as varchar), 9, '0') as request_id, 'HOLD'
          as request_type, 'NOT_STARTED' as status,
          'A' || lpad(cast((range * 613) % $items as varchar), 10, '0') as item_barcode,
          g.pid as primary_id
        from range($requests) join g_users g on g.i = (range * 15485863) % $n
    """, items=c.count(p.alma_items), requests=c.count(p.alma_requests))


def extract(c: Consortium) -> None:
    c.manifest("extract", forms=True)
    _circulation(c)
    consortium_config.write(c, "extract")
    _acquisitions(c)


def _circulation(c: Consortium) -> None:
    """The extract's patrons, items, loans and requests; loans and requests pick patrons by p."""
    p, w = c.p, c.write
    w("extract", "patrons", """
        select primary_id, user_group,
          lower(replace(primary_id, '-', '.')) || '@mail.consortium.example' as email,
          lower(primary_id) as username, 'L' || upper(primary_id) as original_id
        from g_patrons
    """)
    items = c.count(p.extract_items)
    w("extract", "items", items_select("B", items))
    w("extract", "loans", """
        select 'LN' || lpad(cast(range as varchar), 9, '0') as loan_id,
          'B' || lpad(cast((range * 7919) % $items as varchar), 10, '0') as item_barcode,
          g.primary_id, day('2025-11-01', u(range, 20), 120) as loan_date,
          day('2026-03-15', u(range, 21), 90) as due_date,
          case when u(range, 22) < 0.3 then day('2026-01-15', u(range, 23), 45) end
            as returned_at
        from range($loans) join g_patrons g on g.p = (range * 104729) % $patrons
    """, items=items, loans=c.count(p.extract_loans), patrons=c.n_patrons)
    w("extract", "requests", """
        select 'RQ' || lpad(cast(range as varchar), 9, '0') as request_id,
          case when u(range, 24) < 0.85 then 'HOLD' else 'BOOKING' end as request_type,
          case when u(range, 24) < 0.3 then 'ON_HOLD_SHELF'
               when u(range, 24) < 0.85 then 'NOT_STARTED' else 'ACTIVE' end as status,
          'B' || lpad(cast((range * 613) % $items as varchar), 10, '0') as item_barcode,
          g.primary_id
        from range($requests) join g_patrons g on g.p = (range * 15485863) % $patrons
    """, items=items, requests=c.count(p.extract_requests), patrons=c.n_patrons)


def _acquisitions(c: Consortium) -> None:
    """Orders and invoices on the vendors and funds of consortium_config; a few orders name
    I01-V999, the vendor only the extract has."""
    p, w = c.p, c.write
    w("extract", "orders", f"""
        select 'PO' || lpad(cast(range as varchar), 9, '0') as order_id,
          case when range % 997 = 5 then 'I01-V999'
               else inst(range % $k + 1) || '-V' ||
                    lpad(cast(cast(floor(u(range, 40) * {p.vendors - 1}) as int)
                              as varchar), 3, '0') end as vendor_code,
          inst(range % $k + 1) || '-F' ||
            lpad(cast(cast(floor(u(range, 41) * {p.funds}) as int) as varchar), 3, '0')
            as fund_code
        from range($orders)
    """, orders=c.count(p.orders))
    w("extract", "invoices", f"""
        select 'INV' || lpad(cast(range as varchar), 9, '0') as invoice_id,
          inst(range % $k + 1) || '-V' ||
            lpad(cast(cast(floor(u(range, 42) * {p.vendors - 1}) as int) as varchar), 3, '0')
            as vendor_code
        from range($invoices)
    """, invoices=c.count(p.invoices))
