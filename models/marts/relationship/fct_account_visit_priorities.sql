{#-
    One row per account as of the as-of date: its cell in the attractiveness x QRC matrix (seed
    visit_matrix_cells, default 3 x 3 plus cells for unscored accounts), the cell's visit
    priority and recommended visit frequency, the key-account minimum frequency (key accounts
    from fct_account_segments), and a priority score and rank within the owner rep's portfolio.
    Priority visits go to attractive accounts with a weak relationship: the priority score is
    the geometric mean of attractiveness and the QRC gap (100 - QRC), so it is high only when
    both are; with one of the two unscored, the other alone. Accounts rank by cell priority,
    then priority score, then account_id (deterministic). Former accounts keep their cell but
    are not in the visit plan.
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
        is_key_account
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
        accounts.status != 'former' as is_in_visit_plan,
        segments.is_key_account,
        scores.attractiveness_score,
        scores.attractiveness_band,
        scores.qrc_score,
        scores.qrc_band,
        matrix_cells.cell_code as matrix_cell_code,
        matrix_cells.cell_label as matrix_cell_label,
        matrix_cells.cell_priority_rank,
        matrix_cells.recommended_visits_per_year,
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

final as (
    select
        placed.*,
        case when placed.owner_rep_id is not null and placed.is_in_visit_plan then
            cast(row_number() over (
                partition by placed.owner_rep_id, placed.owner_rep_id is not null and placed.is_in_visit_plan
                order by placed.cell_priority_rank asc, placed.priority_score desc nulls last, placed.account_id asc
            ) as integer)
        end as rep_priority_rank
    from placed
)

select * from final
