{#-
    The ABC-XYZ cell summary as of the as-of date, for accounts and for parent groups: one row
    per level and cell of seed segment_cells (empty cells included, with zero accounts), with
    accounts, key accounts, revenue, margin and their shares. Revenue and margin shares are of
    the positive totals (the 'none' cell holds the zero and negative revenue and has share 0), so
    the shares of a level add up to 1.
-#}
with cells as (
    select
        abc_xyz_cell,
        abc_class,
        xyz_class,
        cell_order,
        recommended_treatment
    from {{ ref('segment_cells') }}
),

profiles as (
    select
        entity_level,
        snapshot_date,
        abc_xyz_cell,
        is_key_account,
        net_revenue_window,
        gross_margin_window
    from {{ ref('int_segment_entity_profiles') }}
),

levels as (
    select
        level_names.level_name as entity_level,
        {{ as_of_date() }} as as_of_date
    from (values ('account'), ('group')) as level_names (level_name)
),

by_cell as (
    select
        entity_level,
        abc_xyz_cell,
        count(*) as entity_count,
        count(*) filter (where is_key_account) as key_entity_count,
        sum(net_revenue_window) as net_revenue_window,
        sum(greatest(net_revenue_window, 0)) as positive_net_revenue_window,
        count(gross_margin_window) as margin_known_entity_count,
        sum(gross_margin_window) as known_gross_margin_window,
        sum(greatest(gross_margin_window, 0)) as positive_gross_margin_window
    from profiles
    group by entity_level, abc_xyz_cell
),

spine as (
    select
        levels.entity_level,
        levels.as_of_date,
        cells.*
    from levels
    cross join cells
),

joined as (
    select
        spine.entity_level,
        spine.as_of_date,
        spine.abc_xyz_cell,
        spine.abc_class,
        spine.xyz_class,
        spine.cell_order,
        spine.recommended_treatment,
        coalesce(by_cell.entity_count, 0) as entity_count,
        coalesce(by_cell.key_entity_count, 0) as key_entity_count,
        coalesce(by_cell.net_revenue_window, 0) as net_revenue_window,
        coalesce(by_cell.positive_net_revenue_window, 0) as positive_net_revenue_window,
        coalesce(by_cell.margin_known_entity_count, 0) as margin_known_entity_count,
        by_cell.known_gross_margin_window,
        coalesce(by_cell.positive_gross_margin_window, 0) as positive_gross_margin_window
    from spine
    left join by_cell
        on spine.entity_level = by_cell.entity_level
        and spine.abc_xyz_cell = by_cell.abc_xyz_cell
),

final as (
    select
        cast(entity_level || ':' || abc_xyz_cell as varchar) as segment_cell_summary_id,
        cast(entity_level as varchar) as entity_level,
        cast(as_of_date as date) as as_of_date,
        cast(abc_xyz_cell as varchar) as abc_xyz_cell,
        cast(abc_class as varchar) as abc_class,
        cast(xyz_class as varchar) as xyz_class,
        cast(cell_order as integer) as cell_order,
        cast(recommended_treatment as varchar) as recommended_treatment,
        cast(entity_count as integer) as entity_count,
        cast(key_entity_count as integer) as key_entity_count,
        cast(
            entity_count / nullif(sum(entity_count) over (partition by entity_level), 0) as double
        ) as entity_share,
        cast(net_revenue_window as decimal(18, 4)) as net_revenue_window,
        cast(
            positive_net_revenue_window / nullif(sum(positive_net_revenue_window) over (partition by entity_level), 0)
            as double
        ) as revenue_share,
        -- margin of the entities whose margin is known; the count says how complete it is
        cast(known_gross_margin_window as decimal(18, 4)) as gross_margin_window,
        cast(margin_known_entity_count as integer) as margin_known_entity_count,
        cast(
            positive_gross_margin_window
            / nullif(sum(positive_gross_margin_window) over (partition by entity_level), 0) as double
        ) as margin_share
    from joined
)

select * from final
