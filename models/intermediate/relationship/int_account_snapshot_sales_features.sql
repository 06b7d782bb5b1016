{#-
    What the sales lines say about each account at each snapshot, over the snapshot's trailing
    window: share of wallet, product families bought, months with a purchase, and the last
    purchase on or before the snapshot. The window's net revenue is the segmentation's
    (fct_account_segment_history, same window), and share of wallet follows its definition:
    max(net revenue, 0) / annual potential, capped at 1, null when the potential is unknown or
    not positive (a test reconciles the current snapshot with fct_account_segments). A window that starts before the first sale in
    the data is not covered (is_sales_window_covered false): its measures would be understated,
    so the QRC leaves them out instead of scoring them low. Months with a purchase, the last
    purchase and the start of the history read the daily revenue of int_segment_entity_days;
    only the product families need the lines themselves.
-#}
with spine as (
    select
        account_snapshot_id,
        account_id,
        snapshot_date,
        window_start_date
    from {{ ref('int_account_snapshots') }}
),

accounts as (
    select
        account_id,
        annual_potential
    from {{ ref('dim_accounts') }}
),

segment_history as (
    select
        account_snapshot_id,
        net_revenue_window
    from {{ ref('fct_account_segment_history') }}
),

-- revenue per account and day as the segmentation already sums it from fct_sales_lines (net
-- revenue counts revenue lines only), so the lines are not grouped by day a second time here
account_days as (
    select
        entity_id as account_id,
        sales_date as invoice_date,
        net_revenue
    from {{ ref('int_segment_entity_days') }}
    where entity_level = 'account'
),

sales_lines as (
    select
        account_id,
        invoice_date,
        line_category,
        product_family,
        net_revenue
    from {{ ref('fct_sales_lines') }}
    where is_revenue_line
),

products as (
    select
        product_family,
        is_non_product
    from {{ ref('dim_products') }}
),

catalogue as (
    select count(distinct product_family) as catalogue_family_count
    from products
    where not is_non_product
),

sales_history as (
    select min(invoice_date) as sales_history_start_date
    from account_days
),

-- goods and services only: postage or fee lines are not a product family bought
daily_family_revenue as (
    select
        account_id,
        invoice_date,
        product_family,
        sum(net_revenue) as net_revenue
    from sales_lines
    where
        line_category in ('product', 'service')
        and product_family is not null
    group by account_id, invoice_date, product_family
),

-- months counted back from the snapshot date, so a mid-month as-of date still has window_months buckets
purchase_month_buckets as (
    select distinct
        spine.account_snapshot_id,
        date_sub('month', account_days.invoice_date, spine.snapshot_date) as months_back
    from spine
    inner join account_days
        on spine.account_id = account_days.account_id
        and account_days.invoice_date between spine.window_start_date and spine.snapshot_date
    where account_days.net_revenue > 0
),

purchase_months as (
    select
        account_snapshot_id,
        count(*) as purchase_month_count
    from purchase_month_buckets
    group by account_snapshot_id
),

window_families as (
    select
        spine.account_snapshot_id,
        daily_family_revenue.product_family
    from spine
    inner join daily_family_revenue
        on spine.account_id = daily_family_revenue.account_id
        and daily_family_revenue.invoice_date between spine.window_start_date and spine.snapshot_date
    group by spine.account_snapshot_id, daily_family_revenue.product_family
    having sum(daily_family_revenue.net_revenue) > 0
),

family_counts as (
    select
        account_snapshot_id,
        count(*) as families_bought_count
    from window_families
    group by account_snapshot_id
),

purchase_days as (
    select
        account_id,
        invoice_date
    from account_days
    where net_revenue > 0
),

last_purchases as (
    select
        spine.account_snapshot_id,
        purchase_days.invoice_date as last_purchase_date
    from spine
    asof inner join purchase_days
        on spine.account_id = purchase_days.account_id
        and spine.snapshot_date >= purchase_days.invoice_date
),

final as (
    select
        spine.account_snapshot_id,
        coalesce(segment_history.net_revenue_window, 0) as net_revenue_window,
        accounts.annual_potential,
        case
            when accounts.annual_potential > 0
                then least(greatest(coalesce(segment_history.net_revenue_window, 0), 0) / accounts.annual_potential, 1)
        end as share_of_wallet,
        coalesce(family_counts.families_bought_count, 0) as families_bought_count,
        catalogue.catalogue_family_count,
        coalesce(purchase_months.purchase_month_count, 0) as purchase_month_count,
        last_purchases.last_purchase_date,
        sales_history.sales_history_start_date,
        coalesce(
            date_trunc('month', sales_history.sales_history_start_date) <= date_trunc('month', spine.window_start_date),
            false
        ) as is_sales_window_covered
    from spine
    cross join sales_history
    cross join catalogue
    left join accounts
        on spine.account_id = accounts.account_id
    left join segment_history
        on spine.account_snapshot_id = segment_history.account_snapshot_id
    left join purchase_months
        on spine.account_snapshot_id = purchase_months.account_snapshot_id
    left join family_counts
        on spine.account_snapshot_id = family_counts.account_snapshot_id
    left join last_purchases
        on spine.account_snapshot_id = last_purchases.account_snapshot_id
)

select * from final
