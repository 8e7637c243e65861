-- The default rule pack's classification, written by hand as one DuckDB SQL script: the
-- baseline `cutover predict` is measured against (bench/run.py). Reads the typed snapshot views
-- (schemas pre, extract, testload) and the scenario as variables; writes table h_index
-- (side, entity, record_key, rule_id), typed by the runner's ENUM types (bench/cases.py,
-- `hand_types`). The runner joins it with the pack's rule texts, also ENUM values, and writes
-- the sorted ledger, which must equal predict's row for row.
--
-- Written the way an analyst who knows DuckDB would: the per-user facts are computed once as
-- sets of lower-cased Primary IDs and reused by users, user_roles and patrons; every other
-- entity is one scan with a CASE. Rule ids are in the pack's order; first match wins.

create or replace temp table h_index (side h_side, entity h_entity, record_key varchar,
                                      rule_id h_rule);

-- Shared per-Primary-ID facts.
create or replace temp table h_staff_role as
select distinct lower(primary_id) as k from pre.user_roles where not is_patron_role(role_type);

create or replace temp table h_patron as
select distinct lower(primary_id) as k from extract.patrons;

create or replace temp table h_testload_public as
select distinct lower(primary_id) as k from testload.users where record_type = 'PUBLIC';

create or replace temp table h_user as
select lower(u.primary_id) as k,
  bool_or(u.record_type in ('STAFF', 'CONTACT') and u.origin = 'MIGRATED' and not f.cif)
    as staff_migrated,
  bool_or(u.record_type in ('STAFF', 'CONTACT') and not f.cif and t.k is not null)
    as staff_public_at_testload,
  bool_or(u.record_type in ('STAFF', 'CONTACT') and not f.cif) as non_public,
  bool_or(u.record_type = 'PUBLIC' and not f.cif and s.k is not null) as public_staff,
  any_value(u.record_type) as record_type,
  bool_or(u.created_at >= getvariable('freeze_start')
          and u.created_at < getvariable('clean_data_delivered')) as created_in_freeze,
  bool_or(u.record_type <> 'PUBLIC' and u.updated_at >= getvariable('freeze_start')
          and u.updated_at < getvariable('clean_data_delivered')) as changed_in_freeze
from pre.users u
cross join lateral (select coalesce(u.created_at >= getvariable('freeze_start')
                                    and u.created_at < getvariable('clean_data_delivered'),
                                    false) as cif) f
left join h_testload_public t on t.k = lower(u.primary_id)
left join h_staff_role s on s.k = lower(u.primary_id)
group by all;

-- alma.users
insert into h_index
select 'alma', 'users', coalesce(u.primary_id, ''),
  case
    when u.created_at >= getvariable('freeze_start')
         and u.created_at < getvariable('clean_data_delivered') then 'users.created-during-freeze'
    when u.record_type in ('STAFF', 'CONTACT') and u.updated_at >= getvariable('freeze_start')
         and u.updated_at < getvariable('clean_data_delivered') then 'users.changed-during-freeze'
    when u.record_type in ('STAFF', 'CONTACT') and u.origin = 'CREATED' and x.k is not null
         and t.k is null then 'users.staff-created-collides'
    when u.record_type in ('STAFF', 'CONTACT') then 'users.non-public'
    when s.k is not null and x.k is not null and u.origin = 'CREATED'
      then 'users.public-staff-created-matched'
    when s.k is not null and x.k is not null then 'users.public-staff-matched'
    when s.k is not null then 'users.public-staff-unmatched'
    else 'users.public'
  end
from pre.users u
left join h_staff_role s on s.k = lower(u.primary_id)
left join h_patron x on x.k = lower(u.primary_id)
left join h_testload_public t on t.k = lower(u.primary_id);

-- alma.user_roles
insert into h_index
select 'alma', 'user_roles',
  concat_ws('|', coalesce(r.primary_id, ''), coalesce(r.role_type, ''), coalesce(r.scope, '')),
  case
    when u.created_in_freeze then 'user_roles.user-created-during-freeze'
    when u.changed_in_freeze then 'user_roles.user-changed-during-freeze'
    when u.record_type in ('STAFF', 'CONTACT') then 'user_roles.non-public-user'
    when s.k is not null and x.k is not null and not is_patron_role(r.role_type)
      then 'user_roles.staff-role-kept'
    when s.k is not null and x.k is not null then 'user_roles.patron-role-refreshed'
    else 'user_roles.public-user-removed'
  end
from pre.user_roles r
left join h_user u on u.k = lower(r.primary_id)
left join h_staff_role s on s.k = lower(r.primary_id)
left join h_patron x on x.k = lower(r.primary_id);

-- extract.patrons
insert into h_index
select 'extract', 'patrons', coalesce(p.primary_id, ''),
  case
    when u.staff_migrated or u.staff_public_at_testload then 'patrons.staff-conversion'
    when u.non_public then 'patrons.staff-created-collision'
    when u.public_staff then 'patrons.refreshes-public-staff'
    else 'patrons.load'
  end
from extract.patrons p
left join h_user u on u.k = lower(p.primary_id);

-- alma.sets, alma.configuration
insert into h_index
select 'alma', 'sets', coalesce(set_id, ''),
  case
    when created_at >= getvariable('freeze_start')
         and created_at < getvariable('clean_data_delivered') then 'sets.created-during-freeze'
    when set_type = 'ITEMIZED' then 'sets.itemized'
    when updated_at >= getvariable('freeze_start')
         and updated_at < getvariable('clean_data_delivered') then 'sets.changed-during-freeze'
    else 'sets.logical'
  end
from pre.sets;

insert into h_index
select 'alma', 'configuration', concat_ws('|', coalesce(area, ''), coalesce(item_id, '')),
  case
    when created_at >= getvariable('freeze_start')
         and created_at < getvariable('clean_data_delivered')
      then 'configuration.created-during-freeze'
    when area in ('online_services_order', 'cloud_app_configuration')
      then 'configuration.not-retained'
    when updated_at >= getvariable('freeze_start')
         and updated_at < getvariable('clean_data_delivered') and collection_id is not null
      then 'configuration.changed-during-freeze-linked'
    when updated_at >= getvariable('freeze_start')
         and updated_at < getvariable('clean_data_delivered')
      then 'configuration.changed-during-freeze'
    when collection_id is not null then 'configuration.collection-link'
    else 'configuration.retained'
  end
from pre.configuration;

-- Code tables, both sides.
insert into h_index
select 'alma', 'code_tables', concat_ws('|', coalesce(a.table_name, ''), coalesce(a.code, '')),
  case
    when a.table_name in ('reporting_codes', 'fund_types', 'fiscal_periods', 'item_policies',
                          'user_groups', 'user_identifier_types', 'block_definitions',
                          'user_statistics_categories', 'academic_departments')
         and exists (select 1 from extract.code_tables x
                     where x.table_name = a.table_name and x.code = a.code)
      then 'code_tables.merged'
    when a.table_name in ('reporting_codes', 'fund_types', 'fiscal_periods', 'item_policies',
                          'user_groups', 'user_identifier_types', 'block_definitions',
                          'user_statistics_categories', 'academic_departments')
      then 'code_tables.alma-only'
    else 'code_tables.configuration'
  end
from pre.code_tables a;

insert into h_index
select 'extract', 'code_tables', concat_ws('|', coalesce(x.table_name, ''), coalesce(x.code, '')),
  case
    when x.table_name in ('reporting_codes', 'fund_types', 'fiscal_periods', 'item_policies',
                          'user_groups', 'user_identifier_types', 'block_definitions',
                          'user_statistics_categories', 'academic_departments')
         and a.code is not null then 'code_tables.extract-merged'
    when x.table_name in ('reporting_codes', 'fund_types', 'fiscal_periods', 'item_policies',
                          'user_groups', 'user_identifier_types', 'block_definitions',
                          'user_statistics_categories', 'academic_departments')
      then 'code_tables.source-only'
    when a.code is not null then 'code_tables.extract-other-known'
    else 'code_tables.extract-other-unknown'
  end
from extract.code_tables x
left join (select distinct table_name, code from pre.code_tables) a
  on a.table_name = x.table_name and a.code = x.code;

-- Codes loaded once at the test load: Alma keeps them; the extract's must exist in Alma.
insert into h_index select 'alma', 'libraries', coalesce(code, ''), 'libraries.retained'
from pre.libraries;
insert into h_index select 'alma', 'locations',
  concat_ws('|', coalesce(library_code, ''), coalesce(code, '')), 'locations.retained'
from pre.locations;
insert into h_index select 'alma', 'vendors', coalesce(code, ''), 'vendors.retained'
from pre.vendors;
insert into h_index select 'alma', 'rs_partners', coalesce(code, ''), 'rs_partners.retained'
from pre.rs_partners;

insert into h_index
select 'extract', 'libraries', coalesce(x.code, ''),
  case when x.code in (select code from pre.libraries) then 'libraries.present-in-alma'
       else 'libraries.missing-in-alma' end
from extract.libraries x;
insert into h_index
select 'extract', 'locations', concat_ws('|', coalesce(x.library_code, ''), coalesce(x.code, '')),
  case when exists (select 1 from pre.locations a where a.library_code = x.library_code
                    and a.code = x.code) then 'locations.present-in-alma'
       else 'locations.missing-in-alma' end
from extract.locations x;
insert into h_index
select 'extract', 'vendors', coalesce(x.code, ''),
  case when x.code in (select code from pre.vendors) then 'vendors.present-in-alma'
       else 'vendors.missing-in-alma' end
from extract.vendors x;
insert into h_index
select 'extract', 'rs_partners', coalesce(x.code, ''),
  case when x.code in (select code from pre.rs_partners) then 'rs_partners.present-in-alma'
       else 'rs_partners.missing-in-alma' end
from extract.rs_partners x;

-- Integrations and jobs.
insert into h_index
select 'alma', 'webhooks', coalesce(profile_id, ''),
  case when status = 'INACTIVE' then 'webhooks.already-inactive' else 'webhooks.inactive' end
from pre.webhooks;
insert into h_index
select 'alma', 'jobs', coalesce(job_id, ''),
  case when job_type = 'SCHEDULED' and coalesce(status, 'ENABLED') = 'ENABLED'
       then 'jobs.scheduled' else 'jobs.other' end
from pre.jobs;

-- Acquisitions.
insert into h_index
select 'alma', 'funds', coalesce(f.fund_code, ''),
  case
    when getvariable('retain_funds') and getvariable('reload_acquisitions')
      then 'funds.retain-with-reload'
    when getvariable('retain_funds') and exists (
           select 1 from extract.funds x where x.fund_code = f.fund_code
           and coalesce(x.fiscal_period, '') <> coalesce(f.fiscal_period, ''))
      then 'funds.retained-fiscal-period-differs'
    when getvariable('retain_funds') then 'funds.retained'
    else 'funds.removed'
  end
from pre.funds f;
insert into h_index
select 'alma', 'fund_transactions', coalesce(transaction_id, ''),
  case when getvariable('retain_funds') and not getvariable('reload_acquisitions')
       then 'fund_transactions.removed-retained-funds' else 'fund_transactions.removed' end
from pre.fund_transactions;
insert into h_index
select 'extract', 'funds', coalesce(fund_code, ''),
  case when getvariable('retain_funds') and not getvariable('reload_acquisitions')
       then 'funds.extract-not-loaded' else 'funds.extract-load' end
from extract.funds;
insert into h_index
select 'extract', 'fund_transactions', coalesce(transaction_id, ''),
  case when getvariable('retain_funds') and not getvariable('reload_acquisitions')
       then 'fund_transactions.extract-not-loaded' else 'fund_transactions.extract-load' end
from extract.fund_transactions;

create or replace temp table h_vendor as
select code, bool_or(status = 'INACTIVE') as inactive from pre.vendors group by code;
insert into h_index
select 'extract', 'orders', coalesce(o.order_id, ''),
  case
    when not getvariable('reload_acquisitions') then 'orders.not-reloaded'
    when v.code is null then 'orders.vendor-missing'
    when v.inactive then 'orders.inactive-vendor'
    else 'orders.load'
  end
from extract.orders o left join h_vendor v on v.code = o.vendor_code;
insert into h_index
select 'extract', 'invoices', coalesce(i.invoice_id, ''),
  case
    when not getvariable('reload_acquisitions') then 'invoices.not-reloaded'
    when v.code is null then 'invoices.vendor-missing'
    when v.inactive then 'invoices.inactive-vendor'
    else 'invoices.load'
  end
from extract.invoices i left join h_vendor v on v.code = i.vendor_code;

insert into h_index
select 'alma', 'licenses', coalesce(license_code, ''),
  case
    when getvariable('retain_licenses') and coalesce(linked_to_einventory, false)
      then 'licenses.retained-einventory'
    when getvariable('retain_licenses') then 'licenses.retained'
    else 'licenses.removed'
  end
from pre.licenses;

-- Courses.
insert into h_index
select 'alma', 'courses', coalesce(course_code, ''),
  case when getvariable('retain_courses') then 'courses.retained' else 'courses.removed' end
from pre.courses;
insert into h_index
select 'alma', 'reading_lists', coalesce(l.list_id, ''),
  case
    when getvariable('retain_courses') and exists (select 1 from pre.citations c
                                                   where c.list_id = l.list_id)
      then 'reading_lists.retained-without-citations'
    when getvariable('retain_courses') then 'reading_lists.retained'
    else 'reading_lists.removed'
  end
from pre.reading_lists l;
insert into h_index
select 'alma', 'citations', coalesce(citation_id, ''),
  case when getvariable('retain_courses') then 'citations.removed-retained-courses'
       else 'citations.removed' end
from pre.citations;
insert into h_index
select 'alma', 'course_instructors',
  concat_ws('|', coalesce(course_code, ''), coalesce(instructor_primary_id, '')),
  case when getvariable('retain_courses') then 'course_instructors.retained'
       else 'course_instructors.removed' end
from pre.course_instructors;
insert into h_index
select 'extract', 'courses', coalesce(x.course_code, ''),
  case when getvariable('retain_courses') and x.course_code in (select course_code
                                                                from pre.courses)
       then 'courses.extract-kept-in-alma' else 'courses.extract-load' end
from extract.courses x;
insert into h_index
select 'extract', 'course_instructors',
  concat_ws('|', coalesce(x.course_code, ''), coalesce(x.instructor_primary_id, '')),
  case when getvariable('retain_courses') and x.course_code in (select course_code
                                                                from pre.courses)
       then 'course_instructors.extract-course-kept' else 'course_instructors.extract-load' end
from extract.course_instructors x;

-- Analytics, authorities, parameters, collections.
insert into h_index
select 'alma', 'analytics_reports', coalesce(a.report_path, ''),
  case
    when a.folder = 'INSTITUTION' then 'analytics.institution-folder'
    when a.owner_internal_id is not null and not exists (
           select 1 from pre.users u where u.internal_id = a.owner_internal_id)
      then 'analytics.owner-deleted'
    when exists (select 1 from pre.users u where u.internal_id = a.owner_internal_id
                 and lower(u.primary_id) <> lower(a.owner_primary_id))
      then 'analytics.owner-id-changed'
    else 'analytics.user-folder'
  end
from pre.analytics_reports a;
insert into h_index select 'alma', 'authorities', coalesce(authority_id, ''), 'authorities.local'
from pre.authorities;
insert into h_index select 'alma', 'parameters', coalesce(name, ''), 'parameters.retained'
from pre.parameters;
insert into h_index select 'alma', 'collections', coalesce(collection_id, ''), 'collections.all'
from pre.collections;

-- Inventory and fulfillment.
insert into h_index select 'alma', 'items', coalesce(barcode, ''), 'items.refreshed-from-extract'
from pre.items;
insert into h_index select 'alma', 'loans', coalesce(loan_id, ''), 'loans.removed'
from pre.loans;
insert into h_index select 'alma', 'requests', coalesce(request_id, ''), 'requests.removed'
from pre.requests;
insert into h_index select 'extract', 'items', coalesce(barcode, ''), 'items.load'
from extract.items;
insert into h_index
select 'extract', 'loans', coalesce(loan_id, ''),
  case when returned_at is not null then 'loans.historical' else 'loans.active' end
from extract.loans;
insert into h_index
select 'extract', 'requests', coalesce(request_id, ''),
  case
    when upper(request_type) = 'HOLD' and upper(status) = 'ON_HOLD_SHELF'
      then 'requests.hold-shelf'
    when upper(request_type) = 'HOLD' then 'requests.unfulfilled'
    else 'requests.other'
  end
from extract.requests;
