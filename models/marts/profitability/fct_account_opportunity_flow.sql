{#-
    The flow of opportunities per account over the trailing window (var window_months months
    ending with the as-of month): is it steady, do we win it, and do we win it only on price?
    One row per account of dim_accounts.
    Opened = created in the window; won / lost = closed in the window (closed_date up to the
    as-of date); open = created by the as-of date and not closed by it (status as it stood at
    the as-of date, so a later close does not leak back). A won deal is 'won on price' when its
    discount exceeds var price_competition_discount_share of its amount. Regularity: opened
    opportunities per 3-month slice of the window, their mean, standard deviation and
    coefficient of variation (zero slices included).
    Without an opportunities file every measure is null (opportunity_flow_missing_reason);
    without an activities file the visit conversion is null (visit_conversion_missing_reason).
-#}
with accounts as (
    select account_id
    from {{ ref('dim_accounts') }}
),

opportunities as (
    select
        opportunity_id,
        account_id,
        created_date,
        closed_date,
        status,
        amount,
        discount_amount
    from {{ ref('int_opportunities') }}
),

activities as (
    select
        account_id,
        activity_date,
        activity_type
    from {{ ref('int_activities') }}
),

window_bounds as (
    select
        cast(date_trunc('month', {{ as_of_date() }}) - to_months({{ number_var('window_months') }} - 1) as date)
            as window_start_date,
        {{ as_of_date() }} as window_end_date,
        cast(ceil({{ number_var('window_months') }} / 3) as integer) as slice_count
),

source_presence as (
    select
        (select count(*) from opportunities) > 0 as has_opportunities,
        (select min(created_date) from opportunities) as first_opportunity_date,
        (select count(*) from activities) > 0 as has_activities
),

opportunity_events as (
    select
        opportunities.account_id,
        opportunities.amount,
        opportunities.discount_amount,
        opportunities.created_date between window_bounds.window_start_date and window_bounds.window_end_date
            as is_opened_in_window,
        opportunities.status = 'won'
        and opportunities.closed_date between window_bounds.window_start_date and window_bounds.window_end_date
            as is_won_in_window,
        opportunities.status = 'lost'
        and opportunities.closed_date between window_bounds.window_start_date and window_bounds.window_end_date
            as is_lost_in_window,
        opportunities.created_date <= window_bounds.window_end_date
        and (opportunities.closed_date is null or opportunities.closed_date > window_bounds.window_end_date)
            as is_open_at_as_of,
        cast(floor(datediff('month', window_bounds.window_start_date, opportunities.created_date) / 3) as integer)
            as slice_index
    from opportunities
    cross join window_bounds
),

flow_by_account as (
    select
        account_id,
        count(*) filter (where is_opened_in_window) as opened_count,
        sum(amount) filter (where is_opened_in_window) as opened_amount,
        count(*) filter (where is_won_in_window) as won_count,
        sum(amount) filter (where is_won_in_window) as won_amount,
        count(*) filter (where is_lost_in_window) as lost_count,
        sum(amount) filter (where is_lost_in_window) as lost_amount,
        count(*) filter (where is_open_at_as_of) as open_count,
        sum(amount) filter (where is_open_at_as_of) as open_amount,
        sum(discount_amount) filter (where is_won_in_window) as won_discount_amount,
        -- each share to 18 decimals, finer than a double holds it, so the mean is of exact sums and
        -- does not change in its last bits with the order the rows arrive in
        avg(cast(discount_amount / amount as decimal(38, 18))) filter (where is_won_in_window and amount > 0)
            as average_won_discount_share,
        count(*) filter (
            where is_won_in_window and amount > 0
            and discount_amount / amount > {{ number_var('price_competition_discount_share') }}
        ) as won_on_price_count
    from opportunity_events
    group by account_id
),

opened_by_slice as (
    select
        account_id,
        slice_index,
        count(*) as opened_count
    from opportunity_events
    where is_opened_in_window
    group by account_id, slice_index
),

regularity as (
    -- mean and spread over every slice, the empty ones included (they hold zero)
    select
        opened_by_slice.account_id,
        count(*) as slices_with_opportunities,
        sum(opened_by_slice.opened_count) / any_value(window_bounds.slice_count) as mean_per_slice,
        sqrt(greatest(
            sum(opened_by_slice.opened_count * opened_by_slice.opened_count) / any_value(window_bounds.slice_count)
            - power(sum(opened_by_slice.opened_count) / any_value(window_bounds.slice_count), 2),
            0
        )) as std_per_slice
    from opened_by_slice
    cross join window_bounds
    group by opened_by_slice.account_id
),

visits as (
    select
        activities.account_id,
        count(*) as visit_count
    from activities
    cross join window_bounds
    where activities.activity_type = 'visit'
        and activities.account_id is not null
        and activities.activity_date between window_bounds.window_start_date and window_bounds.window_end_date
    group by activities.account_id
),

final as (
    select
        accounts.account_id,
        window_bounds.window_end_date as as_of_date,
        window_bounds.window_start_date,
        window_bounds.window_end_date,
        case when not source_presence.has_opportunities then 'opportunities_not_delivered' end
            as opportunity_flow_missing_reason,
        source_presence.has_opportunities
        and source_presence.first_opportunity_date <= window_bounds.window_start_date as is_window_covered,
        -- counts and amounts: zero is known when the file was delivered and the account had none
        case when source_presence.has_opportunities then coalesce(flow_by_account.opened_count, 0) end
            as opened_count,
        case when source_presence.has_opportunities then {{ money('coalesce(flow_by_account.opened_amount, 0)') }} end
            as opened_amount,
        case when source_presence.has_opportunities then coalesce(flow_by_account.won_count, 0) end as won_count,
        case when source_presence.has_opportunities then {{ money('coalesce(flow_by_account.won_amount, 0)') }} end
            as won_amount,
        case when source_presence.has_opportunities then coalesce(flow_by_account.lost_count, 0) end as lost_count,
        case when source_presence.has_opportunities then {{ money('coalesce(flow_by_account.lost_amount, 0)') }} end
            as lost_amount,
        case when source_presence.has_opportunities then coalesce(flow_by_account.open_count, 0) end as open_count,
        case when source_presence.has_opportunities then {{ money('coalesce(flow_by_account.open_amount, 0)') }} end
            as open_amount,
        -- rates: null when nothing was closed (no denominator), never zero
        cast(flow_by_account.won_count as double)
        / nullif(flow_by_account.won_count + flow_by_account.lost_count, 0) as win_rate_by_count,
        cast(flow_by_account.won_amount as double)
        / nullif(coalesce(flow_by_account.won_amount, 0) + coalesce(flow_by_account.lost_amount, 0), 0)
            as win_rate_by_amount,
        {{ money('flow_by_account.won_discount_amount') }} as won_discount_amount,
        flow_by_account.average_won_discount_share,
        case when flow_by_account.won_count > 0 then flow_by_account.won_on_price_count end as won_on_price_count,
        cast(flow_by_account.won_on_price_count as double) / nullif(flow_by_account.won_count, 0)
            as won_on_price_share,
        -- regularity of the flow
        window_bounds.slice_count as window_quarter_count,
        case when source_presence.has_opportunities then coalesce(regularity.slices_with_opportunities, 0) end
            as quarters_with_opportunities,
        case when source_presence.has_opportunities then coalesce(regularity.mean_per_slice, 0) end
            as opportunities_per_quarter,
        case when source_presence.has_opportunities then coalesce(regularity.std_per_slice, 0) end
            as opportunities_per_quarter_stddev,
        regularity.std_per_slice / nullif(regularity.mean_per_slice, 0) as opportunities_per_quarter_cv,
        -- conversion of visits into opportunities
        case when source_presence.has_activities then coalesce(visits.visit_count, 0) end as visit_count,
        case
            when source_presence.has_opportunities and source_presence.has_activities and visits.visit_count > 0
                then coalesce(flow_by_account.opened_count, 0) / visits.visit_count
        end as opportunities_per_visit,
        case
            when not source_presence.has_activities then 'activities_not_delivered'
            when not source_presence.has_opportunities then 'opportunities_not_delivered'
            when coalesce(visits.visit_count, 0) = 0 then 'no_visits_in_window'
        end as visit_conversion_missing_reason
    from accounts
    cross join window_bounds
    cross join source_presence
    left join flow_by_account
        on accounts.account_id = flow_by_account.account_id
    left join regularity
        on accounts.account_id = regularity.account_id
    left join visits
        on accounts.account_id = visits.account_id
)

select * from final
