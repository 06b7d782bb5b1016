{#-
    Rep development priorities: one row per rep and QRC criterion on which the rep's current
    accounts (owned, not former) have a score. The rep's mean score is compared with the mean of
    the peers' accounts: the other reps of the same manager, or every other rep when the rep has
    no manager or no teammate. The criteria where the rep trails the peers most are the skills
    to coach: ranked by the gap (most negative first, ties by criterion_code), the first var
    coaching_priorities_per_rep with a negative gap are coaching priorities.
-#}
with criterion_scores as (
    select
        account_id,
        as_of_date,
        criterion_code,
        score
    from {{ ref('fct_account_criterion_scores') }}
    where family = 'qrc' and score is not null
),

accounts as (
    select
        account_id,
        owner_rep_id
    from {{ ref('dim_accounts') }}
    where owner_rep_id is not null and status != 'former'
),

reps as (
    select
        rep_id,
        manager_id
    from {{ ref('dim_reps') }}
),

rep_criterion_totals as (
    select
        accounts.owner_rep_id as rep_id,
        criterion_scores.criterion_code,
        min(criterion_scores.as_of_date) as as_of_date,
        count(*) as account_count,
        -- summed as decimals: a double sum depends on thread order and can flip a rounded gap or a rank
        sum(cast(criterion_scores.score as decimal(38, 6))) as score_sum
    from criterion_scores
    inner join accounts
        on criterion_scores.account_id = accounts.account_id
    group by accounts.owner_rep_id, criterion_scores.criterion_code
),

with_team as (
    select
        rep_criterion_totals.*,
        reps.manager_id,
        -- a manager's team counts as peers only when it holds another rep scored on the criterion
        count(*) over (partition by reps.manager_id, rep_criterion_totals.criterion_code) > 1
        and reps.manager_id is not null as has_teammates
    from rep_criterion_totals
    left join reps
        on rep_criterion_totals.rep_id = reps.rep_id
),

peer_totals as (
    select
        with_team.*,
        sum(score_sum) over (partition by manager_id, criterion_code) as team_score_sum,
        sum(account_count) over (partition by manager_id, criterion_code) as team_account_count,
        sum(score_sum) over (partition by criterion_code) as force_score_sum,
        sum(account_count) over (partition by criterion_code) as force_account_count
    from with_team
),

compared as (
    select
        rep_id,
        criterion_code,
        as_of_date,
        account_count,
        score_sum / account_count as rep_mean_score,
        case when has_teammates then 'manager_team' else 'sales_force' end as peer_group,
        case
            when has_teammates
                then (team_score_sum - score_sum) / nullif(team_account_count - account_count, 0)
            else (force_score_sum - score_sum) / nullif(force_account_count - account_count, 0)
        end as peer_mean_score
    from peer_totals
),

ranked as (
    select
        *,
        rep_mean_score - peer_mean_score as score_gap,
        cast(row_number() over (
            partition by rep_id
            order by rep_mean_score - peer_mean_score asc nulls last, criterion_code
        ) as integer) as gap_rank
    from compared
),

final as (
    select
        rep_id || ':' || criterion_code as rep_criterion_id,
        rep_id,
        criterion_code,
        as_of_date,
        cast(account_count as integer) as account_count,
        round(rep_mean_score, 1) as rep_mean_score,
        peer_group,
        round(peer_mean_score, 1) as peer_mean_score,
        round(score_gap, 1) as score_gap,
        gap_rank,
        coalesce(round(score_gap, 1) < 0 and gap_rank <= {{ number_var('coaching_priorities_per_rep') }}, false)
            as is_coaching_priority
    from ranked
)

select * from final
