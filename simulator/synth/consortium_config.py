"""The configuration and small tables of the freeze (Alma) and the extract, K institutions of each.

One function per table, returning its SELECT; the tables both sides hold take `alma` and differ
where a rule has something to find (codes on one side only, a vendor, a fund's fiscal period).
"""

from __future__ import annotations

from collections.abc import Callable

from simulator import db
from simulator.inputs.tables import MERGED_CODE_TABLES
from simulator.synth.consortium import LOCATIONS, PUBLIC_GROUPS, Consortium, names

CONFIG_AREAS = (("letters", 40), ("templates", 20), ("normalization_rules", 15),
                ("indication_rules", 10), ("online_services_order", 3),
                ("cloud_app_configuration", 5), ("digitization_profile", 4),
                ("digital_import_profile", 4))
OTHER_CODE_TABLES = ("letter_types", "call_number_types", "material_types")
# Every library of every institution: i_code, i_n (1..K), l_n (0..5).
INSTITUTION_LIBRARIES = ("select inst(j.range + 1) as i_code, j.range + 1 as i_n, "
                         "l.range as l_n from range($k) j join range(6) l on true")


def write(c: Consortium, stage: str) -> None:
    """Write the tables of this side: the shared ones, then (Alma) those only Alma holds."""
    alma = stage != "extract"
    for table, shared in SHARED.items():
        c.write(stage, table, shared(c, alma))
    if alma:
        for table, alma_only in ALMA_ONLY.items():
            c.write(stage, table, alma_only(c))


# -- on both sides ----------------------------------------------------------------------------
def code_tables(c: Consortium, alma: bool) -> str:
    """The nine merged tables and three others; some codes only on one side."""
    tables = MERGED_CODE_TABLES + OTHER_CODE_TABLES
    table_names = " union all ".join(f"select {db.literal(t)} as table_name, {i} as t_i"
                                     for i, t in enumerate(tables, 1))
    side = 0 if alma else 1
    return f"""
        select t.table_name, upper(left(t.table_name, 4)) || '_' ||
          lpad(cast(c.range as varchar), 3, '0') as code,
          'Code ' || c.range || ' of ' || t.table_name as description, true as enabled
        from ({table_names}) t
        join range(10 + 5 * $k) c on true
        where not (c.range % 17 = 3 + {side} * 5)
          and not (c.range % 23 = 1 and t.t_i > {len(MERGED_CODE_TABLES)} and {side} = 1)
          and not (c.range % 19 = 2 and t.t_i <= 2 and {side} = 1)
        union all
        select 'user_groups', g, g, true from (select unnest({names(
            PUBLIC_GROUPS + ('STAFF', 'CONTACT', 'VISITOR'))}) as g)
        where {side} = 1 or g <> 'VISITOR'
        group by g
    """


def libraries(c: Consortium, alma: bool) -> str:
    return (f"select lib(i_n, l_n) as code, 'Library ' || lib(i_n, l_n) "
            f"as name from ({INSTITUTION_LIBRARIES})")


def locations(c: Consortium, alma: bool) -> str:
    """The extract also has I01-SCI's makerspace, which Alma lacks."""
    maker = "union all select 'I01-SCI', 'MAKER', 'SCI makerspace'" if not alma else ""
    return f"""
        select lib(i_n, l_n) as library_code, loc as code, lib(i_n, l_n) || ' ' ||
          lower(loc) as name
        from ({INSTITUTION_LIBRARIES}) join (select unnest({names(LOCATIONS)}) as loc) on true
        {maker}
    """


def vendors(c: Consortium, alma: bool) -> str:
    """Vendor v = vendors - 1 of each institution is Alma's only; I01-V999 the extract's."""
    per = c.per_inst(c.p.vendors)
    if alma:
        return f"""
            select inst(range % $k + 1) || '-V' || lpad(cast(range // $k as varchar), 3,
              '0') as code, 'Vendor ' || range as name,
              case when (range // $k) % 13 = 4 then 'INACTIVE' else 'ACTIVE' end as status,
              'orders' || range || '@scrubbed.invalid' as email
            from range({per})
        """
    return f"""
        select inst(range % $k + 1) || '-V' || lpad(cast(range // $k as varchar), 3,
          '0') as code, 'Vendor ' || range as name, 'ACTIVE' as status,
          cast(null as varchar) as email
        from range({per}) where range // $k < {c.p.vendors - 1}
        union all select 'I01-V999', 'Vendor new in the legacy system', 'ACTIVE', null
    """


def rs_partners(c: Consortium, alma: bool) -> str:
    return f"""
        select inst(range % $k + 1) || '-RS' || lpad(cast(range // $k as varchar), 2, '0')
          as code, 'Partner library ' || range as name, 'ACTIVE' as status,
          {"'ill' || range || '@scrubbed.invalid'" if alma else 'null'} as email
        from range({c.per_inst(c.p.rs_partners)})
    """


def funds(c: Consortium, alma: bool) -> str:
    """Fund 7 of each institution is in another fiscal period in the extract."""
    return f"""
        select inst(range % $k + 1) || '-F' || lpad(cast(range // $k as varchar), 3, '0')
          as fund_code, 'Fund ' || range as name, 'ALLOCATED' as fund_type,
          case when {0 if alma else 1} = 1 and range // $k = 7 then 'FY2025' else 'FY2026'
          end as fiscal_period, 'ACTIVE' as status
        from range({c.per_inst(c.p.funds)})
    """


def fund_transactions(c: Consortium, alma: bool) -> str:
    return f"""
        select {"'T'" if alma else "'LT'"} || lpad(cast(range as varchar), 8, '0')
          as transaction_id,
          inst(range % $k + 1) || '-F' || lpad(cast(cast(floor(u(range, 60) * {c.p.funds})
            as int) as varchar), 3, '0') as fund_code,
          ['ALLOCATION', 'EXPENDITURE', 'ENCUMBRANCE', 'DISENCUMBRANCE', 'TRANSFER']
            [range % 5 + 1] as transaction_type,
          cast(round(10 + u(range, 61) * 5000, 2) as decimal(18, 4)) as amount
        from range({c.per_inst(c.p.fund_transactions) * (1 if alma else 2)})
    """


def courses(c: Consortium, alma: bool) -> str:
    """The extract has 10 more courses per institution."""
    per = c.per_inst
    return f"""
        select inst(range % $k + 1) || '-CRS' || lpad(cast(range // $k as varchar), 4, '0')
          as course_code, 'Course ' || range as name,
          {names(('HIST', 'CHEM', 'LAW', 'MED'))}[range % 4 + 1] as academic_department
        from range({per(c.p.courses) + (0 if alma else per(10))})
    """


def course_instructors(c: Consortium, alma: bool) -> str:
    """Staff users teach; the extract pairs courses and instructors differently."""
    return f"""
        select distinct inst(range % $k + 1) || '-CRS' ||
          lpad(cast((range // $k) % {c.p.courses} as varchar), 4, '0') as course_code,
          s.pid as instructor_primary_id
        from range({c.per_inst(c.p.courses)}) join g_staff s
          on s.s = (range * 31 + {0 if alma else 7}) % {max(c.n_staff, 1)}
    """


# -- Alma only --------------------------------------------------------------------------------
def sets(c: Consortium) -> str:
    """Most itemized; a few created (2 %) or changed (3 %) during the freeze."""
    return f"""
        select 'SET-' || inst(range % $k + 1) || '-' || lpad(cast(range as varchar), 6,
          '0') as set_id, 'Set ' || range as name,
          case when u(range, 50) < 0.6 then 'ITEMIZED' else 'LOGICAL' end as set_type,
          ['BIB_MMS', 'ITEM', 'USER', 'PO_LINE', 'VENDOR', 'PORTFOLIO']
            [range % 6 + 1] as content_type,
          case when u(range, 51) < 0.02 then day('2026-03-02', u(range, 52), 8)
               else day('2025-09-20', u(range, 52), 150) end as created_at,
          case when u(range, 51) < 0.02 then day('2026-03-02', u(range, 52), 8)
               when u(range, 51) < 0.05 then day('2026-03-02', u(range, 53), 8)
               else day('2026-01-20', u(range, 53), 30) end as updated_at
        from range({c.per_inst(c.p.sets)})
    """


def collections(c: Consortium) -> str:
    """Three top collections per institution, the others below them."""
    return f"""
        select 'COL-' || inst(range % $k + 1) || '-' || lpad(cast(range // $k as
          varchar), 3, '0') as collection_id, 'Digital collection ' || range as name,
          case when range // $k >= 3 then 'COL-' || inst(range % $k + 1) || '-' ||
            lpad(cast((range // $k) % 3 as varchar), 3, '0') end as parent_id
        from range({c.per_inst(c.p.collections)})
    """


def configuration(c: Consortium) -> str:
    """CONFIG_AREAS per institution; the first two digitization and import profiles link to a
    collection, and a few items were created (1 %) or changed (4 %) during the freeze."""
    areas = " union all ".join(
        f"select {db.literal(a)} as area, {i} as a, range as j from range({n})"
        for i, (a, n) in enumerate(CONFIG_AREAS))
    return f"""
        select area, inst(g.range + 1) || '-' || upper(left(area, 3)) ||
          lpad(cast(j as varchar), 3, '0') as item_id, area || ' ' || j as name,
          case when area in ('digitization_profile', 'digital_import_profile')
               and j < 2 then 'COL-' || inst(g.range + 1) || '-' ||
               lpad(cast(j as varchar), 3, '0') end as collection_id,
          case when u(g.range * 1000 + a * 100 + j, 54) < 0.01
               then day('2026-03-02', u(j, 55), 8)
               else day('2025-09-20', u(j, 55), 150) end as created_at,
          case when u(g.range * 1000 + a * 100 + j, 54) < 0.01
               then day('2026-03-02', u(j, 55), 8)
               when u(g.range * 1000 + a * 100 + j, 54) < 0.05
               then day('2026-03-02', u(j, 56), 8)
               else day('2026-01-20', u(j, 56), 30) end as updated_at
        from ({areas}) join range($k) g on true
    """


def webhooks(c: Consortium) -> str:
    return f"""
        select 'WH-' || lpad(cast(range as varchar), 4, '0') as profile_id,
          'Webhook ' || range as name,
          case when range % {c.p.webhooks} = 4 then 'INACTIVE' else 'ACTIVE' end as status,
          'https://hooks.consortium.example/' || range as url
        from range({c.per_inst(c.p.webhooks)})
    """


def jobs(c: Consortium) -> str:
    return f"""
        select 'J-' || lpad(cast(range as varchar), 5, '0') as job_id, 'Job ' || range
          as name,
          case when range % 10 < 7 then 'SCHEDULED' when range % 10 < 9 then 'MANUAL'
               else 'OTHER' end as job_type,
          case when range % 10 = 6 then 'DISABLED' else 'ENABLED' end as status
        from range({c.per_inst(c.p.jobs)})
    """


def licenses(c: Consortium) -> str:
    return f"""
        select 'LIC-' || lpad(cast(range as varchar), 5, '0') as license_code,
          'License ' || range as name, range % {c.p.licenses} < 6 as linked_to_einventory
        from range({c.per_inst(c.p.licenses)})
    """


def reading_lists(c: Consortium) -> str:
    return f"""
        select 'RL-' || lpad(cast(range as varchar), 6, '0') as list_id,
          inst(range % $k + 1) || '-CRS' || lpad(cast((range // $k) % {c.p.courses} as
            varchar), 4, '0') as course_code, 'Reading list ' || range as name
        from range({c.per_inst(c.p.reading_lists)})
    """


def citations(c: Consortium) -> str:
    per = c.per_inst
    return f"""
        select 'CIT-' || lpad(cast(range as varchar), 8, '0') as citation_id,
          'RL-' || lpad(cast((range * 7) % {per(c.p.reading_lists) - per(20)} as varchar), 6,
            '0') as list_id, '99' || lpad(cast(range as varchar), 10, '0') as bib_id
        from range({per(c.p.citations)})
    """


def analytics_reports(c: Consortium) -> str:
    """A third in the institution folder; of the rest, every 15th owner was deleted (a new
    internal id) and every 17th changed Primary ID since saving."""
    return f"""
        select '/shared/' || inst(range % $k + 1) || '/' ||
            case when range % 3 = 0 then 'Reports' else s.pid end || '/Report ' ||
            lpad(cast(range as varchar), 5, '0') as report_path,
          case when range % 3 = 0 then 'INSTITUTION' else 'USER' end as folder,
          case when range % 3 <> 0 and range % 15 = 1 then 'X' || s.internal_id
               else s.internal_id end as owner_internal_id,
          case when range % 3 <> 0 and range % 17 = 2 then s.pid || '-OLD' else s.pid
               end as owner_primary_id
        from range({c.per_inst(c.p.analytics_reports)}) join g_staff s
          on s.s = (range * 13) % {max(c.n_staff, 1)}
    """


def authorities(c: Consortium) -> str:
    return f"""
        select 'AUTH-' || lpad(cast(range as varchar), 7, '0') as authority_id,
          case when range % 4 = 0 then 'MIGRATED' else 'CREATED' end as origin
        from range({c.per_inst(c.p.authorities)})
    """


def parameters(c: Consortium) -> str:
    return """
        select * from (values ('acquisition_solr_indexing_enabled', 'false'),
          ('acquisition_solr_save_enabled', 'false'), ('patron_loan_limit', '50'),
          ('default_currency', 'USD'), ('fine_cap', '25'), ('ill_enabled', 'true'))
          v(name, value)
    """


SHARED: dict[str, Callable[[Consortium, bool], str]] = {
    "code_tables": code_tables, "libraries": libraries, "locations": locations,
    "vendors": vendors, "rs_partners": rs_partners, "funds": funds,
    "fund_transactions": fund_transactions, "courses": courses,
    "course_instructors": course_instructors,
}
ALMA_ONLY: dict[str, Callable[[Consortium], str]] = {
    "sets": sets, "collections": collections, "configuration": configuration,
    "webhooks": webhooks, "jobs": jobs, "licenses": licenses, "reading_lists": reading_lists,
    "citations": citations, "analytics_reports": analytics_reports,
    "authorities": authorities, "parameters": parameters,
}
