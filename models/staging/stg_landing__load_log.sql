{#-
    What the loader read, file by file. The loader writes landing.load_log while it loads the
    other landing tables, so this model must run after every one of them:
-#}
{#- a plain table: the load log changes with every load -#}
{{ config(materialized='table') }}
-- depends_on: {{ ref('stg_landing__sales_lines') }}
-- depends_on: {{ ref('stg_landing__accounts') }}
-- depends_on: {{ ref('stg_landing__products') }}
-- depends_on: {{ ref('stg_landing__reps') }}
-- depends_on: {{ ref('stg_landing__contacts') }}
-- depends_on: {{ ref('stg_landing__activities') }}
-- depends_on: {{ ref('stg_landing__opportunities') }}
-- depends_on: {{ ref('stg_landing__relationship_assessments') }}
-- depends_on: {{ ref('stg_landing__account_plans') }}
-- depends_on: {{ ref('stg_landing__plan_actions') }}
with source as (
    select * from {{ source('landing_log', 'load_log') }}
),

final as (
    select
        entity,
        nullif(file, '') as source_file,
        nullif(file_format, '') as file_format,
        bytes as file_bytes,
        nullif(sha256, '') as file_sha256,
        status as load_status,
        rows_accepted,
        rows_rejected,
        rows_accepted + rows_rejected as rows_read,
        nullif(unexpected_columns, '') as unexpected_columns,
        nullif(message, '') as load_message
    from source
)

select * from final
