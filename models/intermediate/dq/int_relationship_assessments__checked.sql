{#- Every staged relationship_assessments row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['assessment_id', 'account_id', 'assessment_date', 'assessor_rep_id', 'criterion_code',
    'score'] %}
with staged as (
    select * from {{ ref('stg_landing__relationship_assessments') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

-- an assessment of a criterion the scores do not know would be silently ignored by them
known_criteria as (
    select criterion_code from {{ ref('score_criteria') }}
    where family = 'qrc' and source = 'assessment'
),

duplicates_flagged as (
    {{ duplicate_checks('staged', ['assessment_id'], value_columns) }}
),

references_checked as (
    select
        duplicates_flagged.*,
        duplicates_flagged.account_id is not null and known_accounts.account_id is null as is_orphan,
        duplicates_flagged.criterion_code is not null and known_criteria.criterion_code is null as is_unknown_criterion
    from duplicates_flagged
    left join known_accounts
        on duplicates_flagged.account_id = known_accounts.account_id
    left join known_criteria
        on duplicates_flagged.criterion_code = known_criteria.criterion_code
),

final as (
    select
        * exclude (dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key, is_orphan, is_unknown_criterion),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'assessment_id ' || assessment_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'assessment_id ' || assessment_id"),
            ("is_orphan", "orphan_key", "'account_id ' || account_id"),
            ("is_unknown_criterion", "invalid_value", "'criterion_code'"),
        ]) }}
    from references_checked
)

select * from final
