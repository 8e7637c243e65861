with base as (
  select "funds".*,
    (EXISTS(SELECT 1 FROM extract.funds AS x WHERE x.fund_code = funds.fund_code AND COALESCE(x.fiscal_period, '') <> COALESCE(funds.fiscal_period, ''))) as "fiscal_period_differs"
  from "pre"."funds" as "funds"
)
select coalesce(cast("funds"."fund_code" as varchar), '') as record_key,
  case
    when ($retain_funds AND $reload_acquisitions) then 0
    when ($retain_funds AND fiscal_period_differs) then 1
    when ($retain_funds) then 2
    when (TRUE) then 3
  end as rule_index
from base as "funds"
