{#-
    The date everything is computed as of: var as_of_date when set, else the last invoice date
    in the data. Dates more than var max_future_days beyond the 99.9th percentile of invoice
    dates are typos (2099-01-01) and must not move the as-of date; so are the dates after a jump
    of more than max_future_days that only the last 0.1% of the lines (at least one) follow:
    in a small delivery the 99.9th percentile is the typo itself.
-#}
with sales_dates as (
    select invoice_date
    from {{ ref('stg_landing__sales_lines') }}
    where dq_reason is null
),

typical_range as (
    select quantile_disc(invoice_date, 0.999) as p999_invoice_date
    from sales_dates
),

lines_by_date as (
    select
        invoice_date,
        invoice_date - lag(invoice_date) over (order by invoice_date) as days_after_previous_date,
        sum(count(*)) over (order by invoice_date desc) as lines_from_this_date,
        sum(count(*)) over () as total_lines
    from sales_dates
    group by invoice_date
),

isolated_jump as (
    select min(invoice_date) as first_typo_date
    from lines_by_date
    where
        days_after_previous_date > {{ number_var('max_future_days') }}
        and lines_from_this_date <= greatest(1, 0.001 * total_lines)
),

derived as (
    select max(sales_dates.invoice_date) as last_invoice_date
    from sales_dates
    cross join typical_range
    cross join isolated_jump
    where
        sales_dates.invoice_date
        <= typical_range.p999_invoice_date + to_days({{ number_var('max_future_days') }})
        and (
            isolated_jump.first_typo_date is null
            or sales_dates.invoice_date < isolated_jump.first_typo_date
        )
),

final as (
    select
        {% if var('as_of_date', none) %}
            date '{{ validated_date_var("as_of_date") }}' as as_of_date,
            'var as_of_date' as as_of_date_origin
        {% else %}
            -- an empty warehouse still gets a date, so `dbt build --empty` and new installs work
            coalesce(derived.last_invoice_date, date '{{ validated_date_var("min_valid_date") }}') as as_of_date,
            case
                when derived.last_invoice_date is not null then 'last invoice date in the data'
                else 'no sales lines: var min_valid_date'
            end as as_of_date_origin
        {% endif %}
    from derived
)

select * from final
