with base as (
  select "patrons".* exclude (_key0),
    (COALESCE(_j0._m0, FALSE)) as "alma_non_public",
    (COALESCE(_j0._m1, FALSE)) as "alma_staff_migrated",
    (COALESCE(_j1._m0, FALSE)) as "public_at_testload",
    (COALESCE(_j2._m0, FALSE)) as "refreshes_public_staff"
  from (select *, LOWER(patrons.primary_id) as _key0 from "extract"."patrons" as "patrons") as "patrons"
  left join (SELECT LOWER(u.primary_id) AS k, CASE WHEN u.record_type IN ('STAFF', 'CONTACT') AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE) THEN TRUE END AS _m0, CASE WHEN u.record_type IN ('STAFF', 'CONTACT') AND u.origin = 'MIGRATED' AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE) THEN TRUE END AS _m1 FROM pre.users AS u WHERE (u.record_type IN ('STAFF', 'CONTACT') AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE)) OR (u.record_type IN ('STAFF', 'CONTACT') AND u.origin = 'MIGRATED' AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE))) as _j0 on _j0.k = "patrons"._key0
  left join (SELECT LOWER(u.primary_id) AS k, BOOL_OR(CAST(TRUE AS BOOLEAN)) AS _m0 FROM pre.users AS u JOIN testload.users AS t ON LOWER(t.primary_id) = LOWER(u.primary_id) WHERE u.record_type IN ('STAFF', 'CONTACT') AND t.record_type = 'PUBLIC' AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE) GROUP BY k) as _j1 on _j1.k = "patrons"._key0
  left join (SELECT LOWER(u.primary_id) AS k, BOOL_OR(CAST(TRUE AS BOOLEAN)) AS _m0 FROM pre.users AS u JOIN pre.user_roles AS r ON LOWER(r.primary_id) = LOWER(u.primary_id) WHERE u.record_type = 'PUBLIC' AND NOT IS_PATRON_ROLE(r.role_type) AND NOT COALESCE(u.created_at >= $freeze_start AND u.created_at < $clean_data_delivered, FALSE) GROUP BY k) as _j2 on _j2.k = "patrons"._key0
)
select coalesce(cast("patrons"."primary_id" as varchar), '') as record_key,
  case
    when (alma_staff_migrated OR public_at_testload) then 0
    when (alma_non_public) then 1
    when (refreshes_public_staff) then 2
    when (TRUE) then 3
  end as rule_index
from base as "patrons"
