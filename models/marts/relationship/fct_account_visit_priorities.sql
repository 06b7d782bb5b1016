{#-
    One row per account as of the as-of date: its cell in the attractiveness x QRC matrix (seed
    visit_matrix_cells, default 3 x 3 plus cells for unscored accounts), the cell's visit
    priority and recommended visit frequency, the key-account minimum frequency (key accounts
    from fct_account_segments), and a priority score and rank within the owner rep's portfolio.
    Priority visits go to attractive accounts with a weak relationship: the priority score is
    the geometric mean of attractiveness and the QRC gap (100 - QRC), so it is high only when
    both are; with one of the two unscored, the other alone. Accounts rank by cell priority,
    then priority score, then account_id (deterministic). Former accounts keep their cell but
    are not in the visit plan. Lost accounts (fct_account_segments.lifecycle_stage) score low on
    every purchase criterion, so their QRC is weak and the matrix would rank them first: with var
    lost_account_visits 'win_back_list' (default) they leave the visit plan for the rep's
    win-back list (win_back_rank, same ordering), so planned visits go to accounts that buy,
    except key accounts, which stay in the plan asking for their key-account minimum only (not
    the cell's frequency); 'visit_plan' plans them like the others.
-#}
with scores as (
    select
        account_id,
        as_of_date,
        attractiveness_score,
        attractiveness_band,
        qrc_score,
        qrc_band
    from {{ ref('fct_account_scores') }}
),

accounts as (
    select
        account_id,
        owner_rep_id,
        status
    from {{ ref('dim_accounts') }}
),

segments as (
    select
        account_id,
        is_key_account,
        lifecycle_stage
    from {{ ref('fct_account_segments') }}
),

matrix_cells as (
    select
        attractiveness_band,
        qrc_band,
        cell_code,
        cell_label,
        cell_priority_rank,
        recommended_visits_per_year,
        key_account_min_visits_per_year
    from {{ ref('visit_matrix_cells') }}
),

placed as (
    select
        scores.account_id,
        scores.as_of_date,
        accounts.owner_rep_id,
        accounts.status as account_status,
        segments.lifecycle_stage,
        case
            when accounts.status = 'former' then 'former_account'
            {%- if var('lost_account_visits') == 'win_back_list' %}
            -- a key account keeps its minimum visits: winning it back is the plan's job
            when segments.lifecycle_stage = 'lost' and not coalesce(segments.is_key_account, false)
                then 'lost_account_win_back'
            {%- endif %}
        end as visit_plan_exclusion_reason,
        segments.is_key_account,
        scores.attractiveness_score,
        scores.attractiveness_band,
        scores.qrc_score,
        scores.qrc_band,
        matrix_cells.cell_code as matrix_cell_code,
        matrix_cells.cell_label as matrix_cell_label,
        matrix_cells.cell_priority_rank,
        -- a lost key account kept in the plan asks for its minimum, not the weak-relationship
        -- cell's full frequency its lapsed purchases put it in
        {% if var('lost_account_visits') == 'win_back_list' -%}
            case
                when segments.lifecycle_stage = 'lost' and segments.is_key_account
                    then least(matrix_cells.recommended_visits_per_year, matrix_cells.key_account_min_visits_per_year)
                else matrix_cells.recommended_visits_per_year
            end
        {%- else -%}
            matrix_cells.recommended_visits_per_year
        {%- endif %} as recommended_visits_per_year,
        case when segments.is_key_account then matrix_cells.key_account_min_visits_per_year end
            as key_account_min_visits_per_year,
        round(case
            when scores.attractiveness_score is not null and scores.qrc_score is not null
                then sqrt(scores.attractiveness_score * (100 - scores.qrc_score))
            when scores.attractiveness_score is not null then scores.attractiveness_score
            when scores.qrc_score is not null then 100 - scores.qrc_score
        end, 1) as priority_score
    from scores
    inner join accounts
        on scores.account_id = accounts.account_id
    left join segments
        on scores.account_id = segments.account_id
    left join matrix_cells
        on scores.attractiveness_band = matrix_cells.attractiveness_band
        and scores.qrc_band = matrix_cells.qrc_band
),

listed as (
    select
        placed.*,
        placed.visit_plan_exclusion_reason is null as is_in_visit_plan,
        -- the rep's ranked list the account belongs to: the visit plan or the win-back list
        case
            when placed.owner_rep_id is null then null
            when placed.visit_plan_exclusion_reason is null then 'visit_plan'
            when placed.visit_plan_exclusion_reason = 'lost_account_win_back' then 'win_back'
        end as rep_list
    from placed
),

ranked as (
    select
        listed.*,
        case when listed.rep_list is not null then
            cast(row_number() over (
                partition by listed.owner_rep_id, listed.rep_list
                order by listed.cell_priority_rank asc, listed.priority_score desc nulls last, listed.account_id asc
            ) as integer)
        end as list_rank
    from listed
),

final as (
    select
        account_id,
        as_of_date,
        owner_rep_id,
        account_status,
        lifecycle_stage,
        is_in_visit_plan,
        visit_plan_exclusion_reason,
        is_key_account,
        attractiveness_score,
        attractiveness_band,
        qrc_score,
        qrc_band,
        matrix_cell_code,
        matrix_cell_label,
        cell_priority_rank,
        recommended_visits_per_year,
        key_account_min_visits_per_year,
        priority_score,
        case when rep_list = 'visit_plan' then list_rank end as rep_priority_rank,
        case when rep_list = 'win_back' then list_rank end as win_back_rank
    from ranked
)

select * from final
