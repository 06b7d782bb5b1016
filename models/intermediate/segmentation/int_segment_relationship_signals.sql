{#-
    What the relationship-type and expert rules need besides sales, per account and per group,
    as of the as-of date: active contacts and the job functions they cover (int_contacts),
    opportunities created in the trailing window (int_opportunities), and unpaid service minutes
    in the window (int_activities: activity types of var unpaid_service_activity_types, not
    billed). When an entity was not delivered at all (empty table), every figure from it is
    null and the *_delivered flag is false: no contact is not the same as unknown contacts.
-#}
with entities as (
    select
        segment_entity_id,
        entity_level,
        entity_id
    from {{ ref('int_segment_entities') }}
),

accounts as (
    select
        account_id,
        group_account_id
    from {{ ref('dim_accounts') }}
),

window_bounds as (
    select
        min(period_start_date) as window_start_date,
        max(period_end_date) as window_end_date
    from {{ ref('int_segment_periods') }}
    where snapshot_index = 0 and is_in_window
),

contacts as (
    select
        contact_id,
        account_id,
        job_function,
        active_from_date,
        left_date
    from {{ ref('int_contacts') }}
),

opportunities as (
    select
        opportunity_id,
        account_id,
        created_date,
        status
    from {{ ref('int_opportunities') }}
),

activities as (
    select
        activity_id,
        account_id,
        activity_date,
        activity_type,
        duration_minutes,
        is_billable
    from {{ ref('int_activities') }}
),

delivered as (
    select
        (select count(*) from contacts) > 0 as has_contacts_file,
        (select count(*) from opportunities) > 0 as has_opportunities_file,
        (select count(*) from activities) > 0 as has_activities_file
),

-- each account counts for itself and for its group
account_entities as (
    select
        accounts.account_id,
        'account:' || accounts.account_id as segment_entity_id
    from accounts
    union all
    select
        accounts.account_id,
        'group:' || accounts.group_account_id as segment_entity_id
    from accounts
),

active_contacts as (
    select
        account_entities.segment_entity_id,
        count(distinct contacts.contact_id) as active_contact_count,
        count(distinct contacts.job_function) as contact_function_count,
        -- job_function is optional: contacts without one may cover functions the count misses
        count(distinct contacts.contact_id) filter (where contacts.job_function is null)
            as unknown_function_contact_count
    from contacts
    cross join window_bounds
    inner join account_entities
        on contacts.account_id = account_entities.account_id
    where coalesce(contacts.active_from_date, window_bounds.window_end_date) <= window_bounds.window_end_date
        and (contacts.left_date is null or contacts.left_date > window_bounds.window_end_date)
    group by account_entities.segment_entity_id
),

window_opportunities as (
    select
        account_entities.segment_entity_id,
        count(distinct opportunities.opportunity_id) as opportunity_count_window,
        count(distinct opportunities.opportunity_id) filter (where opportunities.status = 'won')
            as won_opportunity_count_window
    from opportunities
    cross join window_bounds
    inner join account_entities
        on opportunities.account_id = account_entities.account_id
    where opportunities.created_date between window_bounds.window_start_date and window_bounds.window_end_date
    group by account_entities.segment_entity_id
),

unpaid_services as (
    select
        account_entities.segment_entity_id,
        sum(activities.duration_minutes) as unpaid_service_minutes_window
    from activities
    cross join window_bounds
    inner join account_entities
        on activities.account_id = account_entities.account_id
    where activities.activity_date between window_bounds.window_start_date and window_bounds.window_end_date
        and activities.activity_type in (
            {%- for activity_type in var('unpaid_service_activity_types') %}
            '{{ activity_type | replace("'", "''") }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
        and not coalesce(activities.is_billable, false)
    group by account_entities.segment_entity_id
),

final as (
    select
        entities.segment_entity_id,
        entities.entity_level,
        entities.entity_id,
        delivered.has_contacts_file,
        delivered.has_opportunities_file,
        delivered.has_activities_file,
        case
            when delivered.has_contacts_file
                then cast(coalesce(active_contacts.active_contact_count, 0) as integer)
        end as active_contact_count,
        case
            when delivered.has_contacts_file
                then cast(coalesce(active_contacts.contact_function_count, 0) as integer)
        end as contact_function_count,
        case
            when delivered.has_contacts_file
                then cast(coalesce(active_contacts.unknown_function_contact_count, 0) as integer)
        end as unknown_function_contact_count,
        case
            when delivered.has_opportunities_file
                then cast(coalesce(window_opportunities.opportunity_count_window, 0) as integer)
        end as opportunity_count_window,
        case
            when delivered.has_opportunities_file
                then cast(coalesce(window_opportunities.won_opportunity_count_window, 0) as integer)
        end as won_opportunity_count_window,
        case
            when delivered.has_activities_file
                then cast(coalesce(unpaid_services.unpaid_service_minutes_window, 0) as double)
        end as unpaid_service_minutes_window
    from entities
    cross join delivered
    left join active_contacts
        on entities.segment_entity_id = active_contacts.segment_entity_id
    left join window_opportunities
        on entities.segment_entity_id = window_opportunities.segment_entity_id
    left join unpaid_services
        on entities.segment_entity_id = unpaid_services.segment_entity_id
)

select * from final
