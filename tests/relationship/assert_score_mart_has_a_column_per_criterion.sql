{#-
    fct_account_scores has a `<criterion_code>_score` column for every criterion of seed
    score_criteria and no score column for a criterion the seed does not list: a criterion
    added to the seed needs its rule in SQL before it can count. (`dbt build --empty` reads the
    seed as empty: the second half of the check is then skipped.)
-#}
with criteria as (
    select criterion_code || '_score' as column_name
    from {{ ref('score_criteria') }}
),

mart_columns as (
    select column_name
    from information_schema.columns
    where table_schema = '{{ ref('fct_account_scores').schema }}'
        and table_name = '{{ ref('fct_account_scores').identifier }}'
        and column_name like '%\_score' escape '\'
        and column_name not in ('attractiveness_score', 'qrc_score')
)

select
    coalesce(criteria.column_name, mart_columns.column_name) as column_name,
    criteria.column_name is null as is_missing_from_seed
from criteria
full outer join mart_columns
    on criteria.column_name = mart_columns.column_name
where mart_columns.column_name is null
    -- the alias only keeps the inner `criteria` apart from the outer one (AL04); count(*) needs no column
    or (criteria.column_name is null and (select count(*) from criteria as seed_criteria) > 0)  -- noqa: AL05
