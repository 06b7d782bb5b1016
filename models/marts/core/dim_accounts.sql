{#- One row per account: who it is, its group, its owner and its attractiveness attributes. -#}
with accounts as (
    select * from {{ ref('int_accounts') }}
),

group_heads as (
    select
        account_id,
        account_name
    from accounts
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.parent_account_id,
        coalesce(accounts.parent_account_id, accounts.account_id) as group_account_id,
        case
            when accounts.parent_account_id is null then accounts.account_name
            else group_heads.account_name
        end as group_account_name,
        accounts.sector,
        accounts.country,
        accounts.region,
        accounts.size_band,
        accounts.annual_potential,
        accounts.potential_growth_rate,
        accounts.market_position,
        accounts.credit_rating,
        accounts.is_strategic,
        accounts.is_renowned,
        accounts.has_strict_quality_requirements,
        accounts.owner_rep_id,
        accounts.created_date,
        accounts.status,
        accounts.is_derived_from_sales
    from accounts
    left join group_heads
        on accounts.parent_account_id = group_heads.account_id
)

select * from final
