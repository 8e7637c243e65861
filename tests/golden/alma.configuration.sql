with base as (
  select "configuration".*,
    (updated_at >= $freeze_start AND updated_at < $clean_data_delivered) as "changed_in_freeze",
    (created_at >= $freeze_start AND created_at < $clean_data_delivered) as "created_in_freeze"
  from "pre"."configuration" as "configuration"
)
select concat_ws('|', coalesce(cast("configuration"."area" as varchar), ''), coalesce(cast("configuration"."item_id" as varchar), '')) as record_key,
  case
    when (created_in_freeze) then 0
    when (area IN ('online_services_order', 'cloud_app_configuration')) then 1
    when (changed_in_freeze AND NOT collection_id IS NULL) then 2
    when (changed_in_freeze) then 3
    when (NOT collection_id IS NULL) then 4
    when (TRUE) then 5
  end as rule_index
from base as "configuration"
