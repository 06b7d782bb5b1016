{#-
    The account list every later model uses: the accounts file when one was delivered,
    otherwise accounts derived from the clean sales lines (their most frequent name and country,
    first purchase as creation date, and as owner the rep on most of their lines, the latest
    then the smallest id on a tie, so visit plans and rep views still have accounts), flagged
    is_derived_from_sales.
-#}
{#- a plain table, not reusable_table: it reads the sales lines, which every delivery changes -#}
{{ config(materialized='table') }}
with file_accounts as (
    select * from {{ ref('int_accounts__checked') }}
    where dq_reason is null
),

sales_lines as (
    select
        account_id,
        account_name,
        country,
        rep_id,
        invoice_date
    from {{ ref('int_sales_lines') }}
),

derived_accounts as (
    select
        account_id,
        mode(account_name) as account_name,
        mode(country) as country,
        min(invoice_date) as created_date
    from sales_lines
    where (select count(*) from file_accounts) = 0
    group by account_id
),

account_reps as (
    select
        account_id,
        rep_id,
        count(*) as line_count,
        max(invoice_date) as last_invoice_date
    from sales_lines
    where rep_id is not null and (select count(*) from file_accounts) = 0
    group by account_id, rep_id
),

derived_owners as (
    select
        account_id,
        rep_id as owner_rep_id
    from account_reps
    qualify row_number() over (
        partition by account_id order by line_count desc, last_invoice_date desc, rep_id asc
    ) = 1
),

from_file as (
    select
        account_id,
        account_name,
        parent_account_id,
        sector,
        country,
        region,
        size_band,
        annual_potential,
        potential_growth_rate,
        market_position,
        credit_rating,
        is_strategic,
        is_renowned,
        has_strict_quality_requirements,
        owner_rep_id,
        created_date,
        coalesce(status, 'client') as status,
        false as is_derived_from_sales,
        source_file,
        source_row
    from file_accounts
),

from_sales as (
    select
        derived_accounts.account_id,
        derived_accounts.account_name,
        cast(null as varchar) as parent_account_id,
        cast(null as varchar) as sector,
        derived_accounts.country,
        cast(null as varchar) as region,
        cast(null as varchar) as size_band,
        cast(null as decimal(18, 4)) as annual_potential,
        cast(null as decimal(18, 4)) as potential_growth_rate,
        cast(null as varchar) as market_position,
        cast(null as varchar) as credit_rating,
        cast(null as boolean) as is_strategic,
        cast(null as boolean) as is_renowned,
        cast(null as boolean) as has_strict_quality_requirements,
        derived_owners.owner_rep_id,
        derived_accounts.created_date,
        'client' as status,
        true as is_derived_from_sales,
        cast(null as varchar) as source_file,
        cast(null as bigint) as source_row
    from derived_accounts
    left join derived_owners
        on derived_accounts.account_id = derived_owners.account_id
),

final as (
    select * from from_file
    union all
    select * from from_sales
)

select * from final
