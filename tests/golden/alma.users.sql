with base as (
  select "users".* exclude (_key0),
    (updated_at >= $freeze_start AND updated_at < $clean_data_delivered) as "changed_in_freeze",
    (created_at >= $freeze_start AND created_at < $clean_data_delivered) as "created_in_freeze",
    (COALESCE(_j0._m0, FALSE)) as "has_staff_role",
    (COALESCE(_j1._m0, FALSE)) as "in_extract",
    (COALESCE(_j2._m0, FALSE)) as "public_at_testload"
  from (select *, LOWER(users.primary_id) as _key0 from "pre"."users" as "users") as "users"
  left join (SELECT LOWER(r.primary_id) AS k, BOOL_OR(CAST(TRUE AS BOOLEAN)) AS _m0 FROM pre.user_roles AS r WHERE NOT IS_PATRON_ROLE(r.role_type) GROUP BY k) as _j0 on _j0.k = "users"._key0
  left join (SELECT LOWER(p.primary_id) AS k, TRUE AS _m0 FROM extract.patrons AS p) as _j1 on _j1.k = "users"._key0
  left join (SELECT LOWER(t.primary_id) AS k, TRUE AS _m0 FROM testload.users AS t WHERE t.record_type = 'PUBLIC') as _j2 on _j2.k = "users"._key0
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
