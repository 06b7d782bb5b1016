{#-
    Proof that nothing is lost: for every landing file, the rows the loader read equal the rows
    in the clean models plus the rows excluded plus the rows quarantined. Each count comes from
    a different model (the loader's own log, the clean models, dq_exclusions, dq_quarantine), so
    a join that drops or duplicates rows anywhere shows here as unaccounted_rows != 0.
-#}
{%- set clean_models = [
    ('sales_lines', 'fct_sales_lines'),
    ('accounts', 'int_accounts'),
    ('products', 'int_products'),
    ('reps', 'int_reps'),
    ('contacts', 'int_contacts'),
    ('activities', 'int_activities'),
    ('opportunities', 'int_opportunities'),
    ('relationship_assessments', 'int_relationship_assessments'),
    ('account_plans', 'int_account_plans'),
    ('plan_actions', 'int_plan_actions'),
] %}
with load_log as (
    select * from {{ ref('stg_landing__load_log') }}
    where source_file is not null
),

clean_rows as (
    {% for entity, model in clean_models %}
        select
            '{{ entity }}' as entity,
            source_file,
            count(*) as clean_rows
        from {{ ref(model) }}
        where source_file is not null
        group by source_file
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

excluded_rows as (
    select
        entity,
        source_file,
        count(*) as excluded_rows
    from {{ ref('dq_exclusions') }}
    group by entity, source_file
),

quarantined_rows as (
    select
        entity,
        source_file,
        count(*) as quarantined_rows
    from {{ ref('dq_quarantine') }}
    group by entity, source_file
),

final as (
    select
        load_log.entity || ':' || load_log.source_file as reconciliation_id,
        load_log.entity,
        load_log.source_file,
        load_log.load_status,
        load_log.rows_read,
        coalesce(clean_rows.clean_rows, 0) as clean_rows,
        coalesce(excluded_rows.excluded_rows, 0) as excluded_rows,
        coalesce(quarantined_rows.quarantined_rows, 0) as quarantined_rows,
        load_log.rows_read
        - coalesce(clean_rows.clean_rows, 0)
        - coalesce(excluded_rows.excluded_rows, 0)
        - coalesce(quarantined_rows.quarantined_rows, 0) as unaccounted_rows
    from load_log
    left join clean_rows
        on load_log.entity = clean_rows.entity and load_log.source_file = clean_rows.source_file
    left join excluded_rows
        on load_log.entity = excluded_rows.entity and load_log.source_file = excluded_rows.source_file
    left join quarantined_rows
        on load_log.entity = quarantined_rows.entity and load_log.source_file = quarantined_rows.source_file
)

select * from final
