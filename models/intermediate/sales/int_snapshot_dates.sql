{#-
    The dates history is computed at: the as-of date and the var snapshot_count - 1 earlier
    ends of period, var snapshot_interval_months apart (quarter ends by default). Snapshot 0 is
    the as-of date itself; marts that show history and migrations compute one row per account
    and snapshot over this spine.
-#}
with as_of as (
    select {{ as_of_date() }} as as_of_date
),

offsets as (
    select range as snapshot_index
    from range({{ number_var('snapshot_count') }})
),

final as (
    select
        offsets.snapshot_index,
        case
            when offsets.snapshot_index = 0 then as_of.as_of_date
            -- earlier snapshots fall on period ends, so quarters compare like with like
            else cast(
                date_trunc('month', as_of.as_of_date)
                - to_months(
                    cast(offsets.snapshot_index * {{ number_var('snapshot_interval_months') }} as integer)
                    - 1
                )
                - interval 1 day
                as date
            )
        end as snapshot_date,
        offsets.snapshot_index = 0 as is_current
    from offsets
    cross join as_of
)

select * from final
