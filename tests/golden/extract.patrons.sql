with base as (
  select "patrons".*,
    (EXISTS(SELECT 1 FROM pre.users AS u WHERE LOWER(u.primary_id) = LOWER(patrons.primary_id) AND u.record_type IN ('STAFF', 'CONTACT') AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE))) as "alma_non_public",
    (EXISTS(SELECT 1 FROM pre.users AS u WHERE LOWER(u.primary_id) = LOWER(patrons.primary_id) AND u.record_type IN ('STAFF', 'CONTACT') AND u.origin = 'MIGRATED' AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE))) as "alma_staff_migrated",
    (EXISTS(SELECT 1 FROM pre.users AS u JOIN testload.users AS t ON LOWER(t.primary_id) = LOWER(u.primary_id) WHERE LOWER(u.primary_id) = LOWER(patrons.primary_id) AND u.record_type IN ('STAFF', 'CONTACT') AND t.record_type = 'PUBLIC' AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE))) as "public_at_testload",
    (EXISTS(SELECT 1 FROM pre.users AS u JOIN pre.user_roles AS r ON LOWER(r.primary_id) = LOWER(u.primary_id) WHERE LOWER(u.primary_id) = LOWER(patrons.primary_id) AND u.record_type = 'PUBLIC' AND NOT IS_PATRON_ROLE(r.role_type) AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE))) as "refreshes_public_staff"
  from "extract"."patrons" as "patrons"
)
select coalesce(cast("patrons"."primary_id" as varchar), '') as record_key,
  case
    when (alma_staff_migrated OR public_at_testload) then 0
    when (alma_non_public) then 1
    when (refreshes_public_staff) then 2
    when (TRUE) then 3
  end as rule_index
from base as "patrons"
