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
        {{ segment_profile_columns() }}
    from named_groups
)

select * from final
