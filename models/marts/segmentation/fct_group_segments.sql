{#-
    The same segmentation as fct_account_segments at the level of the parent group (a group is
    a parent account with its subsidiaries; an account without a parent is its own group): one
    row per group_account_id of dim_accounts. Groups are ranked, classed and typed among groups
    with the same rules and vars, on the members' pooled sales (a group buying every month
    through different subsidiaries is regular even if each subsidiary is not). Potential is the
    members' sum (unknown when one member's is); flags are true when a member carries them.
-#}
-- the final CTE picks and types every column of the contract
with profiles as (
    select * from {{ ref('int_segment_entity_profiles') }}
    where entity_level = 'group'
),

accounts as (
    select
        account_id,
        group_account_id,
        group_account_name
    from {{ ref('dim_accounts') }}
),

-- the head account's name; when the head is missing from the accounts file, the first member name
group_names as (
    select
        group_account_id,
        arg_min(group_account_name, case when account_id = group_account_id then 0 else 1 end)
            as group_account_name
    from accounts
    group by group_account_id
),

named_groups as (
    select
        profiles.*,
        group_names.group_account_name
    from profiles
    left join group_names
        on profiles.entity_id = group_names.group_account_id
),

final as (
    select
        -- keys and dates
        cast(entity_id as varchar) as group_account_id,
        cast(group_account_name as varchar) as group_account_name,
        cast(member_account_count as integer) as member_account_count,
        cast(snapshot_date as date) as as_of_date,
        cast(window_start_date as date) as window_start_date,
        cast(window_end_date as date) as window_end_date,
        -- revenue and margin over the window
        cast(gross_sales_window as decimal(18, 4)) as gross_sales_window,
        cast(credit_notes_window as decimal(18, 4)) as credit_notes_window,
        cast(discounts_window as decimal(18, 4)) as discounts_window,
        cast(net_revenue_window as decimal(18, 4)) as net_revenue_window,
        cast(gross_margin_window as decimal(18, 4)) as gross_margin_window,
        cast(cost_coverage_share_window as double) as cost_coverage_share_window,
        cast(case when gross_margin_window is null then 'cost_coverage_below_minimum' end as varchar)
            as gross_margin_missing_reason,
        -- ABC
        cast(revenue_rank as integer) as revenue_rank,
        cast(revenue_share as double) as revenue_share,
        cast(cumulative_revenue_share as double) as cumulative_revenue_share,
        cast(prior_revenue_share as double) as prior_revenue_share,
        cast(abc_class as varchar) as abc_class,
        cast(margin_share as double) as margin_share,
        cast(cumulative_margin_share as double) as cumulative_margin_share,
        cast(abc_margin_class as varchar) as abc_margin_class,
        -- XYZ and demand class
        cast(xyz_class as varchar) as xyz_class,
        cast(xyz_class_reason as varchar) as xyz_class_reason,
        cast(coefficient_of_variation as double) as coefficient_of_variation,
        cast(monthly_revenue_mean as double) as monthly_revenue_mean,
        cast(monthly_revenue_stddev as double) as monthly_revenue_stddev,
        cast(xyz_month_count as integer) as xyz_month_count,
        cast(purchase_month_count_window as integer) as purchase_month_count_window,
        cast(active_month_share as double) as active_month_share,
        cast(demand_class as varchar) as demand_class,
        cast(adi as double) as adi,
        cast(cv_squared as double) as cv_squared,
        cast(abc_xyz_cell as varchar) as abc_xyz_cell,
        -- key account
        cast(is_key_account as boolean) as is_key_account,
        cast(key_account_rule as varchar) as key_account_rule,
        cast(is_strategic as boolean) as is_strategic,
        cast(key_account_types as varchar) as key_account_types,
        cast(is_breadwinner as boolean) as is_breadwinner,
        cast(breadwinner_basis as varchar) as breadwinner_basis,
        cast(breadwinner_share as double) as breadwinner_share,
        cast(is_prospect_with_budget as boolean) as is_prospect_with_budget,
        cast(potential_to_median_ratio as double) as potential_to_median_ratio,
        cast(is_image_maker as boolean) as is_image_maker,
        cast(is_expert as boolean) as is_expert,
        cast(has_strict_quality_requirements as boolean) as has_strict_quality_requirements,
        cast(unpaid_service_minutes_window as double) as unpaid_service_minutes_window,
        cast(support_minutes_per_k_revenue as double) as support_minutes_per_k_revenue,
        -- relationship
        cast(relationship_type as varchar) as relationship_type,
        cast(relationship_type_reason as varchar) as relationship_type_reason,
        cast(tenure_months as integer) as tenure_months,
        cast(active_contact_count as integer) as active_contact_count,
        cast(contact_function_count as integer) as contact_function_count,
        cast(opportunity_count_window as integer) as opportunity_count_window,
        cast(won_opportunity_count_window as integer) as won_opportunity_count_window,
        cast(discount_share_window as double) as discount_share_window,
        -- lifecycle
        cast(lifecycle_stage as varchar) as lifecycle_stage,
        cast(first_purchase_date as date) as first_purchase_date,
        cast(last_purchase_date as date) as last_purchase_date,
        cast(days_since_last_purchase as integer) as days_since_last_purchase,
        cast(median_purchase_interval_days as double) as median_purchase_interval_days,
        cast(purchase_interval_count as integer) as purchase_interval_count,
        cast(lost_threshold_days as double) as lost_threshold_days,
        cast(trailing_monthly_revenue as double) as trailing_monthly_revenue,
        cast(baseline_monthly_revenue as double) as baseline_monthly_revenue,
        cast(baseline_monthly_stddev as double) as baseline_monthly_stddev,
        cast(baseline_month_count as integer) as baseline_month_count,
        cast(revenue_z_score as double) as revenue_z_score,
        -- portfolio
        cast(annual_potential as decimal(18, 4)) as annual_potential,
        cast(share_of_wallet as double) as share_of_wallet,
        cast(revenue_to_potential_ratio as double) as revenue_to_potential_ratio,
        cast(share_of_wallet_missing_reason as varchar) as share_of_wallet_missing_reason,
        cast(potential_class as varchar) as potential_class,
        cast(portfolio_class as varchar) as portfolio_class,
        cast(portfolio_class_missing_reason as varchar) as portfolio_class_missing_reason
    from named_groups
)

select * from final
