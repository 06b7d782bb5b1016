"""Visit plan for the next period: each rep's capacity shared among the rep's accounts.

DuckDB selects one row per account of the plan (fct_account_visit_priorities) and one per rep
(int_rep_visit_capacity); kam.visit_plan.allocate_visits (pytest-covered) applies the rules
and the overflow rule of var visit_overflow_rule. Contracted for BI by fct_account_visit_plan.
"""

from kam.visit_plan import allocate_visits

ACCOUNTS_SQL = """
select
    account_id,
    owner_rep_id as rep_id,
    rep_priority_rank as priority_rank,
    is_key_account,
    recommended_visits_per_year as target_visits_per_year,
    key_account_min_visits_per_year as min_visits_per_year
from priorities
where is_in_visit_plan
order by account_id
"""

REPS_SQL = """
select
    rep_id,
    capacity_visits,
    period_share_of_year
from capacity
order by rep_id
"""


def model(dbt, session):
    dbt.config(materialized="table")
    overflow_rule = dbt.config.get("overflow_rule")
    period_days = dbt.config.get("plan_period_working_days")
    default_year_days = dbt.config.get("default_working_days_per_year")
    priorities = dbt.ref("fct_account_visit_priorities")  # noqa: F841 (read by ACCOUNTS_SQL)
    capacity = dbt.ref("int_rep_visit_capacity")  # noqa: F841 (read by REPS_SQL)
    return allocate_visits(
        session.sql(ACCOUNTS_SQL).df(),
        session.sql(REPS_SQL).df(),
        overflow_rule=str(overflow_rule),
        default_period_share_of_year=float(period_days) / float(default_year_days),
    )
