{#-
    Which accounts make money once the cost of selling to them is counted: one row per account
    and period (month, quarter, trailing 12 months; see int_profitability_periods) in which the
    account bought, was served (activities) or won a deal.
    Revenue to margin comes from int_account_monthly_sales, the margin from the known parts of
    int_account_monthly_known_margin (var min_cost_coverage applied to the whole period, not
    month by month, so one poorly costed month does not blank a year); the cost of sales is time-driven
    activity-based costing (int_activity_costs) plus order handling (var order_handling_cost
    per invoice) and the discounts conceded on won deals, each its own column.
    Unknown is not zero. A cost component is null with a reason when it is unknown (source not
    delivered, period before the source's history, rep cost unknown, rate not set) or absent
    (nothing of that kind happened: reasons starting 'no_'; all listed in seed
    profitability_missing_reasons). The cost of sales is the sum of the present components
    when none is unknown, null otherwise (cost_of_sales_known_components keeps the partial
    sum). When the account used no costed resource at all, the cost of sales is null (reason
    no_cost_drivers_in_period) and the net contribution is its gross margin.
    Sales, activities and deals are all cut at the as-of date: whole months before the as-of
    month (int_account_monthly_sales), the as-of month up to the as-of date
    (int_account_as_of_month_sales). A current period so cut short (is_period_to_date) has its
    growth and revenue trend taken against the previous period and the same period last year
    cut at the same day (int_account_period_to_date_comparisons: the *_to_date_net_revenue
    columns), never against whole ones; its contribution changes are null, costs being counted
    by month. The previous and last year's own figures stay those of the whole periods.
-#}
{%- set order_handling_rate = var('order_handling_cost') -%}
with periods as (
    select
        period_id,
        period_number,
        period_type,
        period_start_date,
        period_end_date,
        period_month_count,
        is_current_period,
        is_period_to_date,
        is_reported,
        previous_period_number,
        last_year_period_number,
        as_of_date,
        is_sales_covered,
        is_activity_covered,
        is_opportunity_covered,
        has_activities,
        has_opportunities
    from {{ ref('int_profitability_periods') }}
),

period_months as (
    -- every calendar month of every period, so months meet periods on an equality join
    select
        period_number,
        cast(unnest(generate_series(period_start_date, period_end_date, interval 1 month)) as date)
            as month_start_date
    from periods
),

as_of as (
    select cast(date_trunc('month', {{ as_of_date() }}) as date) as as_of_month_start_date
),

-- whole months before the as-of month; the as-of month itself only up to the as-of date
closed_month_sales as (
    select
        account_id,
        month_start_date,
        gross_sales,
        credit_notes_amount,
        returns_amount,
        discounts_amount,
        net_revenue,
        invoice_count,
        credit_note_count
    from {{ ref('int_account_monthly_sales') }}
    where month_start_date < (select as_of.as_of_month_start_date from as_of)
),

closed_month_known_margin as (
    select
        account_id,
        month_start_date,
        net_revenue_with_known_cost,
        known_gross_margin,
        unknown_cost_free_line_count,
        unknown_cost_line_count
    from {{ ref('int_account_monthly_known_margin') }}
    where month_start_date < (select as_of.as_of_month_start_date from as_of)
),

as_of_month_sales as (
    select
        account_id,
        month_start_date,
        gross_sales,
        credit_notes_amount,
        returns_amount,
        discounts_amount,
        net_revenue,
        invoice_count,
        credit_note_count,
        net_revenue_with_known_cost,
        known_gross_margin,
        unknown_cost_free_line_count,
        unknown_cost_line_count
    from {{ ref('int_account_as_of_month_sales') }}
),

monthly_sales as (
    select * from closed_month_sales
    union all
    select * exclude (
        net_revenue_with_known_cost, known_gross_margin, unknown_cost_free_line_count, unknown_cost_line_count
    )
    from as_of_month_sales
),

monthly_known_margin as (
    select * from closed_month_known_margin
    union all
    select
        account_id,
        month_start_date,
        net_revenue_with_known_cost,
        known_gross_margin,
        unknown_cost_free_line_count,
        unknown_cost_line_count
    from as_of_month_sales
),

-- the previous period and the same period last year cut at the same day, for a current period
-- the as-of date cuts short
period_to_date_comparisons as (
    select
        period_number,
        comparison,
        account_id,
        net_revenue
    from {{ ref('int_account_period_to_date_comparisons') }}
),

monthly_cost_drivers as (
    select
        account_id,
        month_start_date,
        activity_count,
        unpaid_service_activity_count,
        unknown_time_cost_activity_count,
        unknown_travel_expense_activity_count,
        unknown_duration_activity_count,
        unknown_travel_minutes_activity_count,
        rep_time_minutes,
        unpaid_service_minutes,
        travel_minutes,
        rep_time_cost,
        unpaid_service_cost,
        travel_time_cost,
        travel_expenses,
        won_deal_count,
        won_deal_discount_amount
    from {{ ref('int_account_monthly_cost_drivers') }}
),

sales_by_period as (
    select
        monthly_sales.account_id,
        period_months.period_number,
        sum(monthly_sales.gross_sales) as gross_sales,
        sum(monthly_sales.credit_notes_amount) as credit_notes_amount,
        sum(monthly_sales.returns_amount) as returns_amount,
        sum(monthly_sales.discounts_amount) as discounts_amount,
        sum(monthly_sales.net_revenue) as net_revenue,
        sum(monthly_known_margin.net_revenue_with_known_cost) as net_revenue_with_known_cost,
        sum(monthly_known_margin.known_gross_margin) as known_gross_margin,
        sum(monthly_known_margin.unknown_cost_free_line_count) as unknown_cost_free_line_count,
        sum(monthly_known_margin.unknown_cost_line_count) as unknown_cost_line_count,
        sum(monthly_sales.invoice_count) as invoice_count,
        sum(monthly_sales.credit_note_count) as credit_note_count
    from monthly_sales
    inner join period_months
        on monthly_sales.month_start_date = period_months.month_start_date
    left join monthly_known_margin
        on monthly_sales.account_id = monthly_known_margin.account_id
        and monthly_sales.month_start_date = monthly_known_margin.month_start_date
    group by monthly_sales.account_id, period_months.period_number
),

covered_margin_by_period as (
    select
        *,
        case when net_revenue != 0 then net_revenue_with_known_cost / net_revenue end as cost_coverage_share,
        -- the rule of int_account_monthly_sales (var min_cost_coverage) on the period's own coverage:
        -- the unknown rest is assumed to earn the known part's margin rate
        case
            -- no revenue to weigh coverage by: known when no priced line's cost is unknown (goods
            -- given free at an unknown cost are judged apart, below), as in the segment marts
            when net_revenue = 0
                then case
                    when coalesce(unknown_cost_line_count, 0) = coalesce(unknown_cost_free_line_count, 0)
                        then known_gross_margin
                end
            when net_revenue_with_known_cost / net_revenue >= {{ number_var('min_cost_coverage') }}
                then known_gross_margin * net_revenue / net_revenue_with_known_cost
        end as covered_gross_margin
    from sales_by_period
),

-- goods given free at an unknown cost: coverage, weighed by revenue, cannot see them, yet the
-- margin is unknown by their cost
margin_by_period as (
    select
        *,
        case when coalesce(unknown_cost_free_line_count, 0) = 0 then covered_gross_margin end as gross_margin,
        case
            when covered_gross_margin is null then 'cost_of_goods_unknown'
            when coalesce(unknown_cost_free_line_count, 0) > 0 then 'free_goods_cost_unknown'
        end as gross_margin_missing_reason
    from covered_margin_by_period
),

cost_drivers_by_period as (
    select
        monthly_cost_drivers.account_id,
        period_months.period_number,
        sum(monthly_cost_drivers.activity_count) as activity_count,
        sum(monthly_cost_drivers.unpaid_service_activity_count) as unpaid_service_activity_count,
        sum(monthly_cost_drivers.unknown_time_cost_activity_count) as unknown_time_cost_activity_count,
        sum(monthly_cost_drivers.unknown_travel_expense_activity_count) as unknown_travel_expense_activity_count,
        sum(monthly_cost_drivers.unknown_duration_activity_count) as unknown_duration_activity_count,
        sum(monthly_cost_drivers.unknown_travel_minutes_activity_count) as unknown_travel_minutes_activity_count,
        sum(monthly_cost_drivers.rep_time_minutes) as rep_time_minutes,
        sum(monthly_cost_drivers.unpaid_service_minutes) as unpaid_service_minutes,
        sum(monthly_cost_drivers.travel_minutes) as travel_minutes,
        sum(monthly_cost_drivers.rep_time_cost) as rep_time_cost,
        sum(monthly_cost_drivers.unpaid_service_cost) as unpaid_service_cost,
        sum(monthly_cost_drivers.travel_time_cost) as travel_time_cost,
        sum(monthly_cost_drivers.travel_expenses) as travel_expenses,
        sum(monthly_cost_drivers.won_deal_count) as won_deal_count,
        sum(monthly_cost_drivers.won_deal_discount_amount) as won_deal_discount_amount
    from monthly_cost_drivers
    inner join period_months
        on monthly_cost_drivers.month_start_date = period_months.month_start_date
    group by monthly_cost_drivers.account_id, period_months.period_number
),

account_periods as (
    select
        coalesce(margin_by_period.account_id, cost_drivers_by_period.account_id) as account_id,
        coalesce(margin_by_period.period_number, cost_drivers_by_period.period_number) as period_number,
        margin_by_period.gross_sales,
        margin_by_period.credit_notes_amount,
        margin_by_period.returns_amount,
        margin_by_period.discounts_amount,
        margin_by_period.net_revenue,
        margin_by_period.gross_margin,
        margin_by_period.gross_margin_missing_reason,
        margin_by_period.cost_coverage_share,
        margin_by_period.invoice_count,
        margin_by_period.credit_note_count,
        margin_by_period.account_id is not null as has_sales,
        cost_drivers_by_period.activity_count,
        cost_drivers_by_period.unpaid_service_activity_count,
        cost_drivers_by_period.unknown_time_cost_activity_count,
        cost_drivers_by_period.unknown_travel_expense_activity_count,
        cost_drivers_by_period.unknown_duration_activity_count,
        cost_drivers_by_period.unknown_travel_minutes_activity_count,
        cost_drivers_by_period.rep_time_minutes,
        cost_drivers_by_period.unpaid_service_minutes,
        cost_drivers_by_period.travel_minutes,
        cost_drivers_by_period.rep_time_cost,
        cost_drivers_by_period.unpaid_service_cost,
        cost_drivers_by_period.travel_time_cost,
        cost_drivers_by_period.travel_expenses,
        cost_drivers_by_period.won_deal_count,
        cost_drivers_by_period.won_deal_discount_amount
    from margin_by_period
    full outer join cost_drivers_by_period
        on margin_by_period.account_id = cost_drivers_by_period.account_id
        and margin_by_period.period_number = cost_drivers_by_period.period_number
),

source_status as (
    select
        account_periods.*,
        periods.period_id,
        periods.period_type,
        periods.period_start_date,
        periods.period_end_date,
        periods.period_month_count,
        periods.is_current_period,
        periods.is_period_to_date,
        periods.is_reported,
        periods.previous_period_number,
        periods.last_year_period_number,
        -- how many period numbers back the comparisons are (window frame offsets)
        periods.previous_period_number - periods.period_number as previous_period_distance,
        periods.last_year_period_number - periods.period_number as last_year_period_distance,
        periods.as_of_date,
        periods.is_sales_covered,
        periods.is_activity_covered and periods.is_opportunity_covered as is_cost_covered,
        -- why every activity-based component is unknown or absent (null: activities were costed)
        case
            when not periods.has_activities then 'activities_not_delivered'
            when not periods.is_activity_covered then 'before_activity_history'
            when coalesce(account_periods.activity_count, 0) = 0 then 'no_activities_in_period'
        end as activity_reason,
        case
            when not periods.has_opportunities then 'opportunities_not_delivered'
            when not periods.is_opportunity_covered then 'before_opportunity_history'
            when coalesce(account_periods.won_deal_discount_amount, 0) = 0 then 'no_won_deal_discounts_in_period'
        end as won_deal_discount_cost_missing_reason,
        -- why the time components are unknown when activities were costed: minutes not recorded
        -- come first (the data), then a rep whose cost per minute is unknown
        case
            when coalesce(account_periods.unknown_duration_activity_count, 0) > 0
                or coalesce(account_periods.unknown_travel_minutes_activity_count, 0) > 0
                then 'activity_minutes_unknown'
            when account_periods.unknown_time_cost_activity_count > 0 then 'rep_cost_unknown'
        end as time_cost_unknown_reason,
        case
            {% if order_handling_rate is none -%}
                when true then 'order_handling_cost_not_set'
            {% endif -%}
            when coalesce(account_periods.invoice_count, 0) = 0 then 'no_orders_in_period'
        end as order_handling_cost_missing_reason
    from account_periods
    inner join periods
        on account_periods.period_number = periods.period_number
),

component_reasons as (
    select
        *,
        coalesce(
            activity_reason,
            time_cost_unknown_reason,
            case when coalesce(rep_time_cost, 0) = 0 then 'no_rep_time_in_period' end
        ) as rep_time_cost_missing_reason,
        coalesce(
            activity_reason,
            time_cost_unknown_reason,
            case when coalesce(travel_time_cost, 0) = 0 then 'no_travel_in_period' end
        ) as travel_time_cost_missing_reason,
        coalesce(
            activity_reason,
            case when unknown_travel_expense_activity_count > 0 then 'travel_expense_unknown' end,
            case when coalesce(travel_expenses, 0) = 0 then 'no_travel_expenses_in_period' end
        ) as travel_expenses_missing_reason,
        coalesce(
            activity_reason,
            time_cost_unknown_reason,
            case when coalesce(unpaid_service_cost, 0) = 0 then 'no_unpaid_services_in_period' end
        ) as unpaid_service_cost_missing_reason
    from source_status
),

components as (
    select
        *,
        case when rep_time_cost_missing_reason is null then rep_time_cost end as rep_time_cost_value,
        case when travel_time_cost_missing_reason is null then travel_time_cost end as travel_time_cost_value,
        case when travel_expenses_missing_reason is null then travel_expenses end as travel_expenses_value,
        case when unpaid_service_cost_missing_reason is null then unpaid_service_cost end as unpaid_service_cost_value,
        case
            when order_handling_cost_missing_reason is null
                then invoice_count * {{ 'null' if order_handling_rate is none else number_var('order_handling_cost') }}
        end as order_handling_cost_value,
        case when won_deal_discount_cost_missing_reason is null then won_deal_discount_amount end
            as won_deal_discount_cost_value,
        -- the first component that is unknown (not merely absent) makes the total unknown
        coalesce(
            case when not starts_with(rep_time_cost_missing_reason, 'no_') then rep_time_cost_missing_reason end,
            case when not starts_with(travel_expenses_missing_reason, 'no_') then travel_expenses_missing_reason end,
            case when not starts_with(order_handling_cost_missing_reason, 'no_')
                then order_handling_cost_missing_reason end,
            case when not starts_with(won_deal_discount_cost_missing_reason, 'no_')
                then won_deal_discount_cost_missing_reason end
        ) as unknown_cost_reason
    from component_reasons
),

totals as (
    select
        *,
        case
            when rep_time_cost_value is null
                and travel_time_cost_value is null
                and travel_expenses_value is null
                and unpaid_service_cost_value is null
                and order_handling_cost_value is null
                and won_deal_discount_cost_value is null
                then null
            else coalesce(rep_time_cost_value, 0)
                + coalesce(travel_time_cost_value, 0)
                + coalesce(travel_expenses_value, 0)
                + coalesce(unpaid_service_cost_value, 0)
                + coalesce(order_handling_cost_value, 0)
                + coalesce(won_deal_discount_cost_value, 0)
        end as known_components_total
    from components
),

contribution as (
    select
        *,
        case when unknown_cost_reason is null then known_components_total end as cost_of_sales_value,
        case
            when unknown_cost_reason is not null then unknown_cost_reason
            when known_components_total is null then 'no_cost_drivers_in_period'
        end as cost_of_sales_missing_reason,
        case
            when unknown_cost_reason is null and known_components_total is not null then 'complete'
            when unknown_cost_reason is null then 'no_cost_drivers'
            when known_components_total is not null then 'partial'
            else 'unknown'
        end as cost_of_sales_coverage,
        coalesce(gross_margin, case when not has_sales then 0 end) as gross_margin_value
    from totals
),

measured as (
    select
        *,
        case
            when cost_of_sales_coverage = 'complete' then gross_margin_value - cost_of_sales_value
            -- nothing was spent on the account: its contribution is its margin
            when cost_of_sales_coverage = 'no_cost_drivers' then gross_margin_value
        end as net_contribution_value
    from contribution
),

-- the same account's previous period and same period last year, looked up by period number in a
-- window: a self-join held every account-period in memory (out of memory at 1.5M accounts). The
-- window sorts only the columns it reads, both figures in one struct per frame, and joins back:
-- sorting the wide rows, four frames, was half the model's time
neighbour_inputs as (
    select
        account_id,
        period_number,
        previous_period_distance,
        last_year_period_distance,
        struct_pack(net_revenue, net_contribution_value) as figures
    from measured
),

neighbour_figures as (
    select
        account_id,
        period_number,
        first(figures) over (
            by_period_number
            range between previous_period_distance following and previous_period_distance following
        ) as previous_row,
        first(figures) over (
            by_period_number
            range between last_year_period_distance following and last_year_period_distance following
        ) as last_year_row
    from neighbour_inputs
    window by_period_number as (partition by account_id order by period_number)
),

neighbours as (
    select
        account_id,
        period_number,
        previous_row.net_revenue as previous_row_net_revenue,
        previous_row.net_contribution_value as previous_row_net_contribution,
        last_year_row.net_revenue as last_year_row_net_revenue,
        last_year_row.net_contribution_value as last_year_row_net_contribution
    from neighbour_figures
),

compared as (
    select
        measured.*,
        neighbours.previous_row_net_revenue,
        neighbours.previous_row_net_contribution,
        neighbours.last_year_row_net_revenue,
        neighbours.last_year_row_net_contribution,
        previous_to_date.net_revenue as previous_to_date_row_net_revenue,
        last_year_to_date.net_revenue as last_year_to_date_row_net_revenue,
        previous_periods.is_sales_covered as is_previous_sales_covered,
        previous_periods.is_activity_covered and previous_periods.is_opportunity_covered
        {%- if order_handling_rate is none %} and false{% endif %} as is_previous_cost_covered,
        last_year_periods.is_sales_covered as is_last_year_sales_covered,
        last_year_periods.is_activity_covered and last_year_periods.is_opportunity_covered
        {%- if order_handling_rate is none %} and false{% endif %} as is_last_year_cost_covered
    from measured
    inner join neighbours
        on measured.account_id = neighbours.account_id
        and measured.period_number = neighbours.period_number
    left join periods as previous_periods
        on measured.previous_period_number = previous_periods.period_number
    left join periods as last_year_periods
        on measured.last_year_period_number = last_year_periods.period_number
    left join period_to_date_comparisons as previous_to_date
        on measured.account_id = previous_to_date.account_id
        and measured.period_number = previous_to_date.period_number
        and previous_to_date.comparison = 'previous'
    left join period_to_date_comparisons as last_year_to_date
        on measured.account_id = last_year_to_date.account_id
        and measured.period_number = last_year_to_date.period_number
        and last_year_to_date.comparison = 'last_year'
    where measured.is_reported
),

comparisons as (
    select
        *,
        -- no row in a covered period means nothing was bought and nothing was spent: zero, known
        case
            when previous_row_net_revenue is not null then previous_row_net_revenue
            when is_previous_sales_covered then 0
        end as previous_period_net_revenue,
        case
            when previous_row_net_revenue is not null or previous_row_net_contribution is not null
                then previous_row_net_contribution
            when is_previous_sales_covered and is_previous_cost_covered then 0
        end as previous_period_net_contribution,
        case
            when last_year_row_net_revenue is not null then last_year_row_net_revenue
            when is_last_year_sales_covered then 0
        end as last_year_net_revenue,
        case
            when last_year_row_net_revenue is not null or last_year_row_net_contribution is not null
                then last_year_row_net_contribution
            when is_last_year_sales_covered and is_last_year_cost_covered then 0
        end as last_year_net_contribution,
        -- a period to date is compared with the others cut at the same day
        case when is_period_to_date then
            case
                when previous_to_date_row_net_revenue is not null then previous_to_date_row_net_revenue
                when is_previous_sales_covered then 0
            end
        end as previous_period_to_date_net_revenue,
        case when is_period_to_date then
            case
                when last_year_to_date_row_net_revenue is not null then last_year_to_date_row_net_revenue
                when is_last_year_sales_covered then 0
            end
        end as last_year_to_date_net_revenue
    from compared
),

-- what growth and trend compare with: the whole period, or for a period to date the same days
comparison_bases as (
    select
        *,
        case when is_period_to_date then previous_period_to_date_net_revenue else previous_period_net_revenue end
            as previous_revenue_base,
        case when is_period_to_date then last_year_to_date_net_revenue else last_year_net_revenue end
            as last_year_revenue_base
    from comparisons
),

final as (
    select
        account_id || '|' || period_id as account_period_id,
        account_id,
        as_of_date,
        period_id,
        period_type,
        period_start_date,
        period_end_date,
        cast(period_month_count as integer) as period_month_count,
        is_current_period,
        is_period_to_date,
        is_sales_covered,
        is_cost_covered,
        -- revenue to margin
        {{ money('coalesce(gross_sales, 0)') }} as gross_sales,
        {{ money('coalesce(credit_notes_amount, 0)') }} as credit_notes_amount,
        {{ money('coalesce(returns_amount, 0)') }} as returns_amount,
        {{ money('coalesce(discounts_amount, 0)') }} as discounts_amount,
        {{ money('coalesce(net_revenue, 0)') }} as net_revenue,
        {{ money('coalesce(net_revenue, 0) - gross_margin_value') }} as cost_of_goods,
        {{ money('gross_margin_value') }} as gross_margin,
        -- rates from the rounded amounts shown beside them: margin = revenue reads as exactly 1
        case
            when {{ money('net_revenue') }} > 0 then {{ money('gross_margin_value') }} / {{ money('net_revenue') }}
        end as gross_margin_rate,
        cost_coverage_share,
        case when gross_margin_value is null then gross_margin_missing_reason end as gross_margin_missing_reason,
        cast(coalesce(invoice_count, 0) as bigint) as invoice_count,
        cast(coalesce(credit_note_count, 0) as bigint) as credit_note_count,
        -- cost drivers (quantities of recorded events; null when the source does not cover the period)
        case when activity_reason in ('activities_not_delivered', 'before_activity_history') then null
            else cast(coalesce(activity_count, 0) as bigint) end as activity_count,
        -- minutes are null, not partial sums, when an activity's minutes were not recorded
        case when activity_reason in ('activities_not_delivered', 'before_activity_history')
            or coalesce(unknown_duration_activity_count, 0) > 0 then null
            else cast(coalesce(rep_time_minutes, 0) as decimal(18, 4)) end as rep_time_minutes,
        case when activity_reason in ('activities_not_delivered', 'before_activity_history')
            or coalesce(unknown_duration_activity_count, 0) > 0 then null
            else cast(coalesce(unpaid_service_minutes, 0) as decimal(18, 4)) end as unpaid_service_minutes,
        case when activity_reason in ('activities_not_delivered', 'before_activity_history')
            or coalesce(unknown_travel_minutes_activity_count, 0) > 0 then null
            else cast(coalesce(travel_minutes, 0) as decimal(18, 4)) end as travel_minutes,
        case when won_deal_discount_cost_missing_reason in ('opportunities_not_delivered', 'before_opportunity_history')
            then null else cast(coalesce(won_deal_count, 0) as bigint) end as won_deal_count,
        -- cost of sales, component by component
        {{ money('rep_time_cost_value') }} as rep_time_cost,
        rep_time_cost_missing_reason,
        {{ money('travel_time_cost_value') }} as travel_time_cost,
        travel_time_cost_missing_reason,
        {{ money('travel_expenses_value') }} as travel_expenses,
        travel_expenses_missing_reason,
        {{ money('unpaid_service_cost_value') }} as unpaid_service_cost,
        unpaid_service_cost_missing_reason,
        {{ money('order_handling_cost_value') }} as order_handling_cost,
        order_handling_cost_missing_reason,
        {{ money('won_deal_discount_cost_value') }} as won_deal_discount_cost,
        won_deal_discount_cost_missing_reason,
        {{ money('cost_of_sales_value') }} as cost_of_sales,
        cost_of_sales_missing_reason,
        {{ money('known_components_total') }} as cost_of_sales_known_components,
        cost_of_sales_coverage,
        case
            when {{ money('net_revenue') }} > 0 then {{ money('cost_of_sales_value') }} / {{ money('net_revenue') }}
        end as cos_to_revenue_ratio,
        -- net contribution
        {{ money('net_contribution_value') }} as net_contribution,
        case
            when net_contribution_value is not null then null
            when gross_margin_value is null then gross_margin_missing_reason
            else cost_of_sales_missing_reason
        end as net_contribution_missing_reason,
        case
            when {{ money('net_revenue') }} > 0
                then {{ money('net_contribution_value') }} / {{ money('net_revenue') }}
        end as net_contribution_rate,
        -- against the previous period and the same period last year (for a period to date, their
        -- same days: costs are counted by month, so its contribution has no such comparison)
        {{ money('previous_period_net_revenue') }} as previous_period_net_revenue,
        {{ money('previous_period_to_date_net_revenue') }} as previous_period_to_date_net_revenue,
        {{ money('previous_period_net_contribution') }} as previous_period_net_contribution,
        case
            when previous_revenue_base > 0
                then (coalesce(net_revenue, 0) - previous_revenue_base) / previous_revenue_base
        end as net_revenue_growth_vs_previous,
        case when not is_period_to_date then
            {{ money('net_contribution_value - previous_period_net_contribution') }}
        end as net_contribution_change_vs_previous,
        {{ money('last_year_net_revenue') }} as last_year_net_revenue,
        {{ money('last_year_to_date_net_revenue') }} as last_year_to_date_net_revenue,
        {{ money('last_year_net_contribution') }} as last_year_net_contribution,
        case
            when last_year_revenue_base > 0
                then (coalesce(net_revenue, 0) - last_year_revenue_base) / last_year_revenue_base
        end as net_revenue_growth_vs_last_year,
        case when not is_period_to_date then
            {{ money('net_contribution_value - last_year_net_contribution') }}
        end as net_contribution_change_vs_last_year,
        -- against the same period last year, so months and quarters are free of seasonality
        case
            when last_year_revenue_base is null then 'no_history'
            when last_year_revenue_base <= 0 then 'no_prior_revenue'
            when (coalesce(net_revenue, 0) - last_year_revenue_base) / last_year_revenue_base
                > {{ number_var('growth_threshold') }} then 'growing'
            when (coalesce(net_revenue, 0) - last_year_revenue_base) / last_year_revenue_base
                < -{{ number_var('growth_threshold') }} then 'declining'
            else 'stable'
        end as revenue_trend
    from comparison_bases
)

select * from final
