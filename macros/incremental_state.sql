{#-
    Pieces of the by-invoice delta mechanism shared by the incremental sales-line chain
    (int_sales_lines__checked, int_sales_lines, fct_sales_lines). Each model keeps, in schema
    incremental_state, `<state>__deps` (what its rules read besides the rows: reference lists,
    config) from the last build and `<state>__deps_now` for this one.
-#}

{#- The dependency rows that changed since the last build, in either direction (a CTE body). -#}
{% macro changed_dependencies(state) -%}
    (select * from incremental_state.{{ state }}__deps except select * from incremental_state.{{ state }}__deps_now)
    union
    (select * from incremental_state.{{ state }}__deps_now except select * from incremental_state.{{ state }}__deps)
{%- endmacro %}

{#-
    Hands the recomputed invoices to the next model: `<state>__delta` gets one (null, true) row
    after a full build, else the invoices of `<state>__affected`.
-#}
{% macro hand_over_invoice_delta(state, delta_table) -%}
    delete from incremental_state.{{ delta_table }}
    where (select r.is_full from incremental_state.{{ state }}__run as r);
    insert into incremental_state.{{ delta_table }}
    select null, true
    where (select r.is_full from incremental_state.{{ state }}__run as r)
    union all
    select invoice_id, false
    from incremental_state.{{ state }}__affected
    where not (select r.is_full from incremental_state.{{ state }}__run as r)
{%- endmacro %}
