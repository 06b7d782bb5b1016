{#-
    dq_quarantine and dq_exclusions split int_rejected_rows without loss or overlap: their row
    counts add up to int_rejected_rows and no rejected row is in both. Fails with one row
    describing the mismatch.
-#}
with counts as (
    select
        (select count(*) from {{ ref('int_rejected_rows') }}) as rejected_rows,
        (select count(*) from {{ ref('dq_quarantine') }}) as quarantined_rows,
        (select count(*) from {{ ref('dq_exclusions') }}) as excluded_rows,
        (
            select count(*)
            from {{ ref('dq_quarantine') }} as quarantine
            inner join {{ ref('dq_exclusions') }} as exclusions
                on quarantine.rejected_row_id = exclusions.rejected_row_id
        ) as rows_in_both
)

select *
from counts
where quarantined_rows + excluded_rows != rejected_rows
    or rows_in_both > 0
