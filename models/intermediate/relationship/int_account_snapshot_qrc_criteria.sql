{#-
    The QRC criteria of each account at each snapshot, each scored 0-100 by its rule (seed
    score_criteria), with the measured value, the data date (the latest fact the score rests on)
    and why a criterion is not scored. A criterion is null, never 0, when its source was not
    delivered or does not cover the snapshot's window; it is 0 when the source says there is
    nothing (no contact, no purchase, no interaction). Manual assessments (1-5) map to 0-100 as
    (score - 1) x 25, so 1 = 0, 3 = 50, 5 = 100.
-#}
{%- set assessment_criteria = ['trust', 'responsiveness', 'strategic_alignment', 'satisfaction'] %}
{%- set linear_criteria = ['product_family_breadth', 'contact_network_breadth', 'interaction_regularity',
    'purchase_regularity', 'purchase_recency'] %}
{#- Linear rules (seed score_scales): 0 at zero_score_at, 100 at full_score_at, clamped, 1 decimal. #}

with spine as (
    select
        account_snapshot_id,
        account_id,
        snapshot_index,
        snapshot_date,
        is_current
    from {{ ref('int_account_snapshots') }}
),

sales as (
    select * from {{ ref('int_account_snapshot_sales_features') }}
),

contacts as (
    select * from {{ ref('int_account_snapshot_contact_features') }}
),

interactions as (
    select * from {{ ref('int_account_snapshot_interaction_features') }}
),

commitments as (
    select * from {{ ref('int_account_snapshot_commitment_features') }}
),

assessments as (
    select
        account_snapshot_id,
        criterion_code,
        assessment_date,
        assessment_score,
        is_stale
    from {{ ref('int_account_snapshot_assessments') }}
),

score_scales as (
    select
        criterion_code,
        zero_score_at,
        full_score_at
    from {{ ref('score_scales') }}
),

scales as (
    select
        {%- for criterion in linear_criteria %}
        max(zero_score_at) filter (where criterion_code = '{{ criterion }}') as {{ criterion }}_zero_score_at,
        max(full_score_at) filter (where criterion_code = '{{ criterion }}') as {{ criterion }}_full_score_at
        {{- "," if not loop.last }}
        {%- endfor %}
    from score_scales
),

assessment_delivery as (
    select count(*) > 0 as is_assessments_delivered
    from {{ ref('int_relationship_assessments') }}
),

assessments_pivoted as (
    select
        account_snapshot_id,
        {%- for criterion in assessment_criteria %}
        max(assessment_score) filter (where criterion_code = '{{ criterion }}') as {{ criterion }}_value,
        max(assessment_date) filter (where criterion_code = '{{ criterion }}') as {{ criterion }}_data_date,
        bool_or(is_stale) filter (where criterion_code = '{{ criterion }}') as {{ criterion }}_is_stale
        {{- "," if not loop.last }}
        {%- endfor %}
    from assessments
    group by account_snapshot_id
),

measured as (
    select
        spine.account_snapshot_id,
        spine.account_id,
        spine.snapshot_index,
        spine.snapshot_date,
        spine.is_current,
        sales.is_sales_window_covered,
        sales.share_of_wallet,
        sales.annual_potential,
        case
            when sales.catalogue_family_count > 0
                then cast(sales.families_bought_count as double) / sales.catalogue_family_count
        end as product_family_share,
        sales.catalogue_family_count,
        cast(sales.purchase_month_count as double) / {{ number_var('window_months') }} as purchase_month_share,
        sales.last_purchase_date,
        spine.snapshot_date - sales.last_purchase_date as days_since_last_purchase,
        contacts.is_contacts_delivered,
        contacts.active_contact_count,
        contacts.job_function_count,
        contacts.unknown_function_contact_count,
        contacts.best_access_points,
        contacts.latest_contact_date,
        interactions.is_activities_delivered,
        interactions.is_activity_window_covered,
        cast(interactions.interaction_month_count as double) / {{ number_var('window_months') }}
            as interaction_month_share,
        interactions.last_interaction_date,
        spine.snapshot_date - interactions.last_interaction_date as days_since_last_interaction,
        commitments.is_plan_actions_delivered,
        commitments.judged_action_count,
        case
            when commitments.judged_action_count > 0
                then cast(commitments.on_time_action_count as double) / commitments.judged_action_count
        end as on_time_action_share,
        commitments.latest_judged_due_date,
        assessment_delivery.is_assessments_delivered,
        {%- for criterion in assessment_criteria %}
        assessments_pivoted.{{ criterion }}_value,
        assessments_pivoted.{{ criterion }}_data_date,
        assessments_pivoted.{{ criterion }}_is_stale
        {{- "," if not loop.last }}
        {%- endfor %}
    from spine
    cross join assessment_delivery
    left join sales
        on spine.account_snapshot_id = sales.account_snapshot_id
    left join contacts
        on spine.account_snapshot_id = contacts.account_snapshot_id
    left join interactions
        on spine.account_snapshot_id = interactions.account_snapshot_id
    left join commitments
        on spine.account_snapshot_id = commitments.account_snapshot_id
    left join assessments_pivoted
        on spine.account_snapshot_id = assessments_pivoted.account_snapshot_id
),

positioned as (
    select
        measured.*,
        measured.share_of_wallet / {{ number_var('high_share_of_wallet') }}
            as share_of_wallet_position,
        (measured.product_family_share - scales.product_family_breadth_zero_score_at)
            / (scales.product_family_breadth_full_score_at - scales.product_family_breadth_zero_score_at)
            as product_family_breadth_position,
        (measured.job_function_count - scales.contact_network_breadth_zero_score_at)
            / (scales.contact_network_breadth_full_score_at - scales.contact_network_breadth_zero_score_at)
            as contact_network_breadth_position,
        (measured.interaction_month_share - scales.interaction_regularity_zero_score_at)
            / (scales.interaction_regularity_full_score_at - scales.interaction_regularity_zero_score_at)
            as interaction_regularity_position,
        1 - measured.days_since_last_interaction / {{ number_var('interaction_recency_zero_days') }}
            as interaction_recency_position,
        (measured.purchase_month_share - scales.purchase_regularity_zero_score_at)
            / (scales.purchase_regularity_full_score_at - scales.purchase_regularity_zero_score_at)
            as purchase_regularity_position,
        (measured.days_since_last_purchase - scales.purchase_recency_zero_score_at)
            / (scales.purchase_recency_full_score_at - scales.purchase_recency_zero_score_at)
            as purchase_recency_position
    from measured
    cross join scales
),

-- clamped to the scale; a null stays null (least/greatest would turn it into a bound)
clamped as (
    select
        * replace (
            case
                when share_of_wallet_position < 0 then 0
                when share_of_wallet_position > 1 then 1
                else share_of_wallet_position
            end as share_of_wallet_position,
            case
                when product_family_breadth_position < 0 then 0
                when product_family_breadth_position > 1 then 1
                else product_family_breadth_position
            end as product_family_breadth_position,
            case
                when contact_network_breadth_position < 0 then 0
                when contact_network_breadth_position > 1 then 1
                else contact_network_breadth_position
            end as contact_network_breadth_position,
            case
                when interaction_regularity_position < 0 then 0
                when interaction_regularity_position > 1 then 1
                else interaction_regularity_position
            end as interaction_regularity_position,
            case
                when interaction_recency_position < 0 then 0
                when interaction_recency_position > 1 then 1
                else interaction_recency_position
            end as interaction_recency_position,
            case
                when purchase_regularity_position < 0 then 0
                when purchase_regularity_position > 1 then 1
                else purchase_regularity_position
            end as purchase_regularity_position,
            case
                when purchase_recency_position < 0 then 0
                when purchase_recency_position > 1 then 1
                else purchase_recency_position
            end as purchase_recency_position
        )
    from positioned
),

final as (
    select
        clamped.account_snapshot_id,
        clamped.account_id,
        clamped.snapshot_index,
        clamped.snapshot_date,
        clamped.is_current,

        -- share of wallet: saturation (var high_share_of_wallet) scores 100
        clamped.share_of_wallet as share_of_wallet_value,
        case when clamped.is_sales_window_covered then
            round(100 * clamped.share_of_wallet_position, 1)
        end as share_of_wallet_score,
        case when clamped.is_sales_window_covered and clamped.share_of_wallet is not null
            then clamped.last_purchase_date
        end as share_of_wallet_data_date,
        case
            when not clamped.is_sales_window_covered then 'sales history shorter than the window'
            when clamped.annual_potential is null then 'potential unknown'
            when clamped.share_of_wallet is null then 'potential is zero'
        end as share_of_wallet_missing_reason,

        -- product family breadth
        clamped.product_family_share as product_family_breadth_value,
        case when clamped.is_sales_window_covered then
            round(100 * clamped.product_family_breadth_position, 1)
        end as product_family_breadth_score,
        case when clamped.is_sales_window_covered and clamped.product_family_share is not null
            then clamped.last_purchase_date
        end as product_family_breadth_data_date,
        case
            when not clamped.is_sales_window_covered then 'sales history shorter than the window'
            when clamped.product_family_share is null then 'no product family known in the catalogue'
        end as product_family_breadth_missing_reason,

        -- decision-maker access: no active contact is a measured 0
        case
            when clamped.is_contacts_delivered and clamped.active_contact_count = 0 then 0
            else clamped.best_access_points
        end as decision_maker_access_value,
        round(case
            when clamped.is_contacts_delivered and clamped.active_contact_count = 0 then 0
            when clamped.is_contacts_delivered then clamped.best_access_points
        end, 1) as decision_maker_access_score,
        clamped.latest_contact_date as decision_maker_access_data_date,
        case
            when not clamped.is_contacts_delivered then 'contacts not delivered'
            when clamped.active_contact_count > 0 and clamped.best_access_points is null
                then 'decision role or seniority of the contacts unknown'
        end as decision_maker_access_missing_reason,

        -- contact network breadth: no active contact is a measured 0; active contacts whose job
        -- functions are all unknown are not (with some known, the known functions are counted,
        -- as decision-maker access takes the best known contact)
        case when clamped.job_function_count > 0 or clamped.unknown_function_contact_count = 0
            then cast(clamped.job_function_count as double)
        end as contact_network_breadth_value,
        case when clamped.is_contacts_delivered
            and (clamped.job_function_count > 0 or clamped.unknown_function_contact_count = 0)
            then round(100 * clamped.contact_network_breadth_position, 1)
        end as contact_network_breadth_score,
        clamped.latest_contact_date as contact_network_breadth_data_date,
        case
            when not clamped.is_contacts_delivered then 'contacts not delivered'
            when clamped.job_function_count = 0 and clamped.unknown_function_contact_count > 0
                then 'job function of the contacts unknown'
        end as contact_network_breadth_missing_reason,

        -- interaction regularity
        clamped.interaction_month_share as interaction_regularity_value,
        case when clamped.is_activity_window_covered then
            round(100 * clamped.interaction_regularity_position, 1)
        end as interaction_regularity_score,
        case when clamped.is_activity_window_covered then clamped.last_interaction_date end
            as interaction_regularity_data_date,
        case
            when not clamped.is_activities_delivered then 'activities not delivered'
            when not clamped.is_activity_window_covered then 'activity history shorter than the window'
        end as interaction_regularity_missing_reason,

        -- interaction recency: never in contact is a measured 0
        cast(clamped.days_since_last_interaction as double) as interaction_recency_value,
        case when clamped.is_activity_window_covered then
            coalesce(round(100 * clamped.interaction_recency_position, 1), 0)
        end as interaction_recency_score,
        case when clamped.is_activity_window_covered then clamped.last_interaction_date end
            as interaction_recency_data_date,
        case
            when not clamped.is_activities_delivered then 'activities not delivered'
            when not clamped.is_activity_window_covered then 'activity history shorter than the window'
        end as interaction_recency_missing_reason,

        -- commitments kept
        clamped.on_time_action_share as commitments_kept_value,
        round(100 * clamped.on_time_action_share, 1) as commitments_kept_score,
        clamped.latest_judged_due_date as commitments_kept_data_date,
        case
            when not clamped.is_plan_actions_delivered then 'plan actions not delivered'
            when clamped.judged_action_count = 0 then 'no plan action due in the window'
        end as commitments_kept_missing_reason,

        -- purchase regularity
        clamped.purchase_month_share as purchase_regularity_value,
        case when clamped.is_sales_window_covered then
            round(100 * clamped.purchase_regularity_position, 1)
        end as purchase_regularity_score,
        case when clamped.is_sales_window_covered then clamped.last_purchase_date end
            as purchase_regularity_data_date,
        case when not clamped.is_sales_window_covered then 'sales history shorter than the window' end
            as purchase_regularity_missing_reason,

        -- purchase recency: never bought is a measured 0
        cast(clamped.days_since_last_purchase as double) as purchase_recency_value,
        case when clamped.is_sales_window_covered then
            coalesce(round(100 * clamped.purchase_recency_position, 1), 0)
        end as purchase_recency_score,
        case when clamped.is_sales_window_covered then clamped.last_purchase_date end
            as purchase_recency_data_date,
        case when not clamped.is_sales_window_covered then 'sales history shorter than the window' end
            as purchase_recency_missing_reason,

        -- manual assessments
        {%- for criterion in assessment_criteria %}
        clamped.{{ criterion }}_value,
        round((clamped.{{ criterion }}_value - 1) * 25, 1) as {{ criterion }}_score,
        clamped.{{ criterion }}_data_date,
        clamped.{{ criterion }}_is_stale,
        case
            when not clamped.is_assessments_delivered then 'assessments not delivered'
            when clamped.{{ criterion }}_value is null then 'not assessed'
        end as {{ criterion }}_missing_reason
        {{- "," if not loop.last }}
        {%- endfor %}
    from clamped
)

select * from final
