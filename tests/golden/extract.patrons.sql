with base as (
  select "patrons".*,
    (NOT _j0.k IS NULL) as "alma_non_public",
    (NOT _j1.k IS NULL) as "alma_staff_migrated",
    (NOT _j2.k IS NULL) as "public_at_testload",
    (NOT _j3.k IS NULL) as "refreshes_public_staff"
  from "extract"."patrons" as "patrons"
  left join (SELECT DISTINCT LOWER(u.primary_id) AS k FROM pre.users AS u WHERE u.record_type IN ('STAFF', 'CONTACT') AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE)) as _j0 on _j0.k = LOWER(patrons.primary_id)
  left join (SELECT DISTINCT LOWER(u.primary_id) AS k FROM pre.users AS u WHERE u.record_type IN ('STAFF', 'CONTACT') AND u.origin = 'MIGRATED' AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE)) as _j1 on _j1.k = LOWER(patrons.primary_id)
  left join (SELECT DISTINCT LOWER(u.primary_id) AS k FROM pre.users AS u JOIN testload.users AS t ON LOWER(t.primary_id) = LOWER(u.primary_id) WHERE u.record_type IN ('STAFF', 'CONTACT') AND t.record_type = 'PUBLIC' AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE)) as _j2 on _j2.k = LOWER(patrons.primary_id)
  left join (SELECT DISTINCT LOWER(u.primary_id) AS k FROM pre.users AS u JOIN pre.user_roles AS r ON LOWER(r.primary_id) = LOWER(u.primary_id) WHERE u.record_type = 'PUBLIC' AND NOT IS_PATRON_ROLE(r.role_type) AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE)) as _j3 on _j3.k = LOWER(patrons.primary_id)
)
select coalesce(cast("patrons"."primary_id" as varchar), '') as record_key,
  case
    when (alma_staff_migrated OR public_at_testload) then 0
    when (alma_non_public) then 1
    when (refreshes_public_staff) then 2
    when (TRUE) then 3
  end as rule_index
from base as "patrons"
