with base as (
  select "users".*,
    (updated_at >= $freeze_start AND updated_at < $clean_data_delivered) as "changed_in_freeze",
    (created_at >= $freeze_start AND created_at < $clean_data_delivered) as "created_in_freeze",
    (NOT _j0.k IS NULL) as "has_staff_role",
    (NOT _j1.k IS NULL) as "in_extract",
    (NOT _j2.k IS NULL) as "public_at_testload"
  from "pre"."users" as "users"
  left join (SELECT DISTINCT LOWER(r.primary_id) AS k FROM pre.user_roles AS r WHERE NOT IS_PATRON_ROLE(r.role_type)) as _j0 on _j0.k = LOWER(users.primary_id)
  left join (SELECT DISTINCT LOWER(p.primary_id) AS k FROM extract.patrons AS p) as _j1 on _j1.k = LOWER(users.primary_id)
  left join (SELECT DISTINCT LOWER(t.primary_id) AS k FROM testload.users AS t WHERE t.record_type = 'PUBLIC') as _j2 on _j2.k = LOWER(users.primary_id)
)
select coalesce(cast("users"."primary_id" as varchar), '') as record_key,
  case
    when (created_in_freeze) then 0
    when (record_type IN ('STAFF', 'CONTACT') AND changed_in_freeze) then 1
    when (record_type IN ('STAFF', 'CONTACT') AND origin = 'CREATED' AND in_extract AND NOT public_at_testload) then 2
    when (record_type IN ('STAFF', 'CONTACT')) then 3
    when (has_staff_role AND in_extract AND origin = 'CREATED') then 4
    when (has_staff_role AND in_extract) then 5
    when (has_staff_role) then 6
    when (TRUE) then 7
  end as rule_index
from base as "users"
