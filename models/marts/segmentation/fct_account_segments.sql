{#-
    One row per account of dim_accounts (prospects included), as of the as-of date: its ABC,
    XYZ and demand classes, ABC-XYZ cell, key-account flag and types, relationship type,
    lifecycle stage and portfolio class, with the figures behind every label. The rules live in
    int_segment_entity_classes (classes and lifecycle, all snapshots) and
    int_segment_entity_profiles (key accounts, relationship, portfolio); this mart picks the
    account level and fixes the contract.
-#}
-- the final CTE picks and types every column of the contract
with profiles as (
    select * from {{ ref('int_segment_entity_profiles') }}
    where entity_level = 'account'
),

final as (
    select
        -- keys and dates
        cast(entity_id as varchar) as account_id,
        cast(snapshot_date as date) as as_of_date,
        cast(group_account_id as varchar) as group_account_id,
        {{ segment_profile_columns() }}
    from profiles
)

select * from final
