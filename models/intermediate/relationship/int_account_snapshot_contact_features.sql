{#-
    The contact network of each account at each snapshot: contacts active on the snapshot date
    (known by then and not yet left), the job functions they cover, and the best access to a
    decision maker (decision-role points x seniority points / 100, seed score_points).
    is_contacts_delivered tells "no contact at this account" (a measured 0) from "no contacts
    file" (unknown). job_function is optional in the contract: contacts without one are counted
    apart (unknown_function_contact_count), so active contacts whose functions are all unknown
    do not read as a network of 0 functions.
-#}
with spine as (
    select
        account_snapshot_id,
        account_id,
        snapshot_date
    from {{ ref('int_account_snapshots') }}
),

contacts as (
    select
        account_id,
        job_function,
        decision_role,
        seniority,
        active_from_date,
        left_date
    from {{ ref('int_contacts') }}
),

score_points as (
    select
        attribute,
        attribute_value,
        points
    from {{ ref('score_points') }}
    where criterion_code = 'decision_maker_access'
),

delivery as (
    select count(*) > 0 as is_contacts_delivered
    from contacts
),

active_contacts as (
    select
        spine.account_snapshot_id,
        contacts.job_function,
        contacts.active_from_date,
        role_points.points * seniority_points.points / 100 as access_points
    from spine
    inner join contacts
        on spine.account_id = contacts.account_id
        and (contacts.active_from_date is null or spine.snapshot_date >= contacts.active_from_date)
        and (contacts.left_date is null or spine.snapshot_date < contacts.left_date)
    left join score_points as role_points
        on role_points.attribute = 'decision_role'
        and contacts.decision_role = role_points.attribute_value
    left join score_points as seniority_points
        on seniority_points.attribute = 'seniority'
        and contacts.seniority = seniority_points.attribute_value
),

network as (
    select
        account_snapshot_id,
        count(*) as active_contact_count,
        count(distinct job_function) as job_function_count,
        count(*) filter (where job_function is null) as unknown_function_contact_count,
        max(access_points) as best_access_points,
        max(active_from_date) as latest_contact_date
    from active_contacts
    group by account_snapshot_id
),

final as (
    select
        spine.account_snapshot_id,
        delivery.is_contacts_delivered,
        coalesce(network.active_contact_count, 0) as active_contact_count,
        coalesce(network.job_function_count, 0) as job_function_count,
        coalesce(network.unknown_function_contact_count, 0) as unknown_function_contact_count,
        network.best_access_points,
        network.latest_contact_date
    from spine
    cross join delivery
    left join network
        on spine.account_snapshot_id = network.account_snapshot_id
)

select * from final
