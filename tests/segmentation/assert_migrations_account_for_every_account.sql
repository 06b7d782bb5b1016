{#-
    Every pair of consecutive snapshots in fct_segment_migrations accounts for every account
    exactly once (stayers included), there is one pair per snapshot interval, and the accounts
    leaving each cell match the history's cell counts at the earlier snapshot.
-#}
with pairs as (
    select
        from_snapshot_date,
        to_snapshot_date,
        sum(account_count) as account_count
    from {{ ref('fct_segment_migrations') }}
    group by from_snapshot_date, to_snapshot_date
),

accounts as (
    select count(*) as account_count from {{ ref('dim_accounts') }}
),

snapshot_pairs as (
    select count(*) - 1 as expected_pairs from {{ ref('int_snapshot_dates') }}
),

from_cells as (
    select
        from_snapshot_date,
        from_cell,
        sum(account_count) as account_count
    from {{ ref('fct_segment_migrations') }}
    group by from_snapshot_date, from_cell
),

history_cells as (
    select
        snapshot_date,
        abc_xyz_cell,
        count(*) as account_count
    from {{ ref('fct_account_segment_history') }}
    -- every snapshot but the current one is the start of a transition
    where not is_current
    group by snapshot_date, abc_xyz_cell
)

select
    'pair does not cover every account once' as rule,
    pairs.from_snapshot_date as snapshot_date
from pairs
cross join accounts
where pairs.account_count != accounts.account_count
union all
select
    'wrong number of snapshot pairs' as rule,
    null as snapshot_date
from snapshot_pairs
cross join accounts
where accounts.account_count > 0
    and (select count(*) from pairs) != snapshot_pairs.expected_pairs
union all
select
    'accounts leaving a cell differ from the history' as rule,
    from_cells.from_snapshot_date as snapshot_date
from from_cells
left join history_cells
    on from_cells.from_snapshot_date = history_cells.snapshot_date
    and from_cells.from_cell = history_cells.abc_xyz_cell
where history_cells.account_count is null or from_cells.account_count != history_cells.account_count
