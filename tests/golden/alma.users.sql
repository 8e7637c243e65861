with base as (
  select "users".*,
    (updated_at >= $freeze_start AND updated_at < $clean_data_delivered) as "changed_in_freeze",
    (created_at >= $freeze_start AND created_at < $clean_data_delivered) as "created_in_freeze",
    (EXISTS(SELECT 1 FROM pre.user_roles AS r WHERE LOWER(r.primary_id) = LOWER(users.primary_id) AND NOT IS_PATRON_ROLE(r.role_type))) as "has_staff_role",
    (EXISTS(SELECT 1 FROM extract.patrons AS p WHERE LOWER(p.primary_id) = LOWER(users.primary_id))) as "in_extract",
    (EXISTS(SELECT 1 FROM testload.users AS t WHERE LOWER(t.primary_id) = LOWER(users.primary_id) AND t.record_type = 'PUBLIC')) as "public_at_testload"
  from "pre"."users" as "users"
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
