{#-
    The day spine MetricFlow joins to: one row per calendar day from var min_valid_date (no
    clean event date is earlier, older ones are quarantined; an account's creation date may be,
    but it is a dimension, never metric time) to the end of the year after the as-of
    date, so that late-posted invoices (up to var max_future_days ahead) and the next plan period
    have their days. Derived from the as-of date, never the wall clock: the same inputs give the
    same spine.
-#}
with as_of as (
    select {{ as_of_date() }} as as_of_date
),

bounds as (
    select
        date '{{ validated_date_var("min_valid_date") }}' as first_date,
        cast(date_trunc('year', as_of.as_of_date) + interval 2 year - interval 1 day as date) as last_date
    from as_of
),

days as (
    select cast(unnest(generate_series(bounds.first_date, bounds.last_date, interval 1 day)) as date) as date_day
    from bounds
),

final as (
    select date_day
    from days
)

select * from final
