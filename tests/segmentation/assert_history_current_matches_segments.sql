{#- The current snapshot of the history is the current segmentation: same accounts, cells, stages, revenue,
    margin and the reason a margin is unknown. -#}
select
    coalesce(history.account_id, segments.account_id) as account_id,
    history.abc_xyz_cell as history_cell,
    segments.abc_xyz_cell as segments_cell,
    history.lifecycle_stage as history_stage,
    segments.lifecycle_stage as segments_stage
from (
    select * from {{ ref('fct_account_segment_history') }}
    where is_current
) as history
full outer join {{ ref('fct_account_segments') }} as segments
    on history.account_id = segments.account_id
where history.account_id is null
    or segments.account_id is null
    or history.abc_xyz_cell != segments.abc_xyz_cell
    or history.lifecycle_stage != segments.lifecycle_stage
    or history.net_revenue_window != segments.net_revenue_window
    or history.snapshot_date != segments.as_of_date
    or history.gross_margin_window is distinct from segments.gross_margin_window
    or history.gross_margin_missing_reason is distinct from segments.gross_margin_missing_reason
