{#-
    What the segmentation is computed for: every account, and every parent group (an account
    without a parent is its own group). One list for both levels, so the ABC, XYZ, lifecycle
    and portfolio rules are written once and applied at both levels.
    Group attributes: potential is the members' sum, unknown (null) as soon as one member's
    potential is unknown; a flag is true when any member carries it, unknown when no member
    has the attribute filled in.
-#}
with accounts as (
    select
        account_id,
        group_account_id,
        annual_potential,
        is_strategic,
        is_renowned,
        has_strict_quality_requirements,
        created_date,
        status
    from {{ ref('dim_accounts') }}
),

account_entities as (
    select
        'account' as entity_level,
        accounts.account_id as entity_id,
        accounts.group_account_id,
        1 as member_account_count,
        accounts.annual_potential,
        accounts.is_strategic,
        accounts.is_renowned,
        accounts.has_strict_quality_requirements,
        accounts.created_date,
        accounts.status
    from accounts
),

group_entities as (
    select
        'group' as entity_level,
        accounts.group_account_id as entity_id,
        accounts.group_account_id,
        count(*) as member_account_count,
        case when count(accounts.annual_potential) = count(*) then sum(accounts.annual_potential) end
            as annual_potential,
        bool_or(accounts.is_strategic) as is_strategic,
        bool_or(accounts.is_renowned) as is_renowned,
        bool_or(accounts.has_strict_quality_requirements) as has_strict_quality_requirements,
        min(accounts.created_date) as created_date,
        -- a group is a client as soon as one member is, a prospect while all members are
        case
            when bool_or(accounts.status = 'client') then 'client'
            when bool_and(accounts.status = 'prospect') then 'prospect'
            else 'former'
        end as status
    from accounts
    group by accounts.group_account_id
),

unioned as (
    select * from account_entities
    union all
    select * from group_entities
),

final as (
    select
        entity_level || ':' || entity_id as segment_entity_id,
        entity_level,
        entity_id,
        group_account_id,
        cast(member_account_count as integer) as member_account_count,
        annual_potential,
        is_strategic,
        is_renowned,
        has_strict_quality_requirements,
        created_date,
        status
    from unioned
)

select * from final
