{#-
    Stops a dbt command before any model runs when a var holds a number its rule cannot mean:
    a share above 1, a count of months below 1, a cut-off at or below the one it must exceed;
    or a date var that is no day of the calendar (2025-02-30), or an as-of date before the first
    valid date.
    number_var already refuses text where a number is expected; without this check, numbers
    out of range built without an error and gave empty or contradictory classes (for example
    abc_b_cutoff below abc_a_cutoff: no class B). Called by the project's on-run-start hook
    (dbt_project.yml), so `dbt build`, `dbt run`, `dbt test` and `kam build` all check.

    The bounds below are what each var's meaning allows (dbt_project.yml says what each var is),
    not thresholds to tune: the thresholds themselves stay in the vars.
    Every problem is listed in one message, so a user fixes them in one go.
-#}
{% macro check_vars() -%}
    {#- name: [lowest allowed, highest allowed]; none = no bound on that side -#}
    {%- set bounds = {
        'window_months': [1, none],
        'snapshot_interval_months': [1, none],
        'snapshot_count': [1, none],
        'max_future_days': [0, none],
        'abc_a_cutoff': [0, 1],
        'abc_b_cutoff': [0, 1],
        'xyz_x_cutoff': [0, none],
        'xyz_y_cutoff': [0, none],
        'min_history_months': [0, none],
        'sbc_adi_cutoff': [0, none],
        'sbc_cv2_cutoff': [0, none],
        'key_account_revenue_share': [0, 1],
        'breadwinner_min_share': [0, 1],
        'prospect_min_potential_ratio': [0, none],
        'prospect_max_share_of_wallet': [0, 1],
        'expert_min_support_minutes_per_k_revenue': [0, none],
        'big_r_min_tenure_months': [0, none],
        'big_r_min_active_month_share': [0, 1],
        'big_r_min_functions': [0, none],
        'big_r_min_opportunities': [0, none],
        'transactional_min_discount_share': [0, 1],
        'transactional_max_contacts': [0, none],
        'lost_interval_multiple': [0, none],
        'lost_max_days': [1, none],
        'lost_min_days': [0, none],
        'at_risk_z_threshold': [0, none],
        'high_share_of_wallet': [0, 1],
        'high_potential_percentile': [0, 1],
        'practical_capacity_share': [0, 1],
        'default_rep_loaded_annual_cost': [0, none],
        'default_working_hours_per_day': [0, 24],
        'default_working_days_per_year': [1, 366],
        'default_visits_per_day': [0, none],
        'order_handling_cost': [0, none],
        'price_competition_discount_share': [0, 1],
        'min_cost_coverage': [0, 1],
        'cos_ratio_reduce': [0, none],
        'cos_ratio_renegotiate': [0, none],
        'assessment_stale_days': [1, none],
        'interaction_recency_zero_days': [1, none],
        'swot_stale_days': [1, none],
        'action_grace_days': [0, none],
        'score_band_low': [0, 100],
        'score_band_high': [0, 100],
        'coaching_priorities_per_rep': [1, none],
        'plan_period_working_days': [1, none],
        'field_day_share': [0, 1],
    } -%}
    {#- (lower, higher): the first must be strictly below the second -#}
    {%- set ordered = [
        ('abc_a_cutoff', 'abc_b_cutoff'),
        ('xyz_x_cutoff', 'xyz_y_cutoff'),
        ('lost_min_days', 'lost_max_days'),
        ('score_band_low', 'score_band_high'),
        ('cos_ratio_reduce', 'cos_ratio_renegotiate'),
    ] -%}
    {%- set choices = {
        'visit_overflow_rule': ['stretch', 'drop_lowest'],
        'lost_account_visits': ['win_back_list', 'visit_plan'],
    } -%}
    {%- set problems = [] -%}
    {%- set values = {} -%}
    {%- for name, bound in bounds.items() if var(name, none) is not none -%}
        {#- number_var stops on text, with its own message -#}
        {%- set value = number_var(name) | float -%}
        {%- do values.update({name: value}) -%}
        {%- if bound[0] is not none and value < bound[0] -%}
            {%- do problems.append('var ' ~ name ~ ' is ' ~ var(name) ~ ', below ' ~ bound[0]) -%}
        {%- elif bound[1] is not none and value > bound[1] -%}
            {%- do problems.append('var ' ~ name ~ ' is ' ~ var(name) ~ ', above ' ~ bound[1]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for lower, higher in ordered if lower in values and higher in values -%}
        {%- if values[lower] >= values[higher] -%}
            {%- do problems.append('var ' ~ lower ~ ' (' ~ var(lower) ~ ') must be below var '
                ~ higher ~ ' (' ~ var(higher) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {#- dates: a calendar day; an as-of date before the first valid date would quarantine everything -#}
    {%- set dates = {} -%}
    {%- for name in ['min_valid_date', 'as_of_date'] if var(name, none) is not none and var(name) | string | trim != '' -%}
        {%- set problem = date_var_problem(name) | trim -%}
        {%- if problem -%}
            {%- do problems.append(problem) -%}
        {%- else -%}
            {%- do dates.update({name: var(name) | string | trim}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if dates | length == 2 and dates['as_of_date'] < dates['min_valid_date'] -%}
        {%- do problems.append('var as_of_date (' ~ dates['as_of_date'] ~ ') must not be before var min_valid_date ('
            ~ dates['min_valid_date'] ~ ')') -%}
    {%- endif -%}
    {%- for name, allowed in choices.items() -%}
        {%- if var(name, none) not in allowed -%}
            {%- do problems.append('var ' ~ name ~ ' is ' ~ var(name, none) ~ ', not one of ' ~ (allowed | join(', '))) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            'vars out of range (dbt_project.yml says what each means): ' ~ (problems | join('; '))) }}
    {%- endif -%}
{%- endmacro %}
