{#-
    dq_reconciliation has a row for every file the loader read (every load_log row whose status
    is not 'missing'), so no delivered file escapes the reconciliation. Fails with one row per
    file without reconciliation.
-#}
with files_read as (
    select
        entity,
        source_file,
        load_status
    from {{ ref('stg_landing__load_log') }}
    where load_status != 'missing'
),

reconciled_files as (
    select
        entity,
        source_file
    from {{ ref('dq_reconciliation') }}
)

select
    files_read.entity,
    files_read.source_file,
    files_read.load_status
from files_read
left join reconciled_files
    on files_read.entity = reconciled_files.entity
    and files_read.source_file = reconciled_files.source_file
where reconciled_files.entity is null
