{#-
    The current (as-of date) segmentation of every account and group: the classes of
    int_segment_entity_classes at snapshot 0 plus the rules that only make sense today:
    key-account flag and types, relationship type and portfolio class.

    Key account: the entity's prior revenue share (see ABC) is below var key_account_revenue_share
      (the entities that together carry that share of revenue, the one crossing it included), or
      it is flagged strategic. key_account_rule names the rule(s) that fired.
    Types (evaluated for every entity, so a prospect with budget shows before it is key; null when
      the data to judge is missing, never false by default):
      breadwinner: share of the total positive gross margin >= var breadwinner_min_share; when the
        entity's margin is unknown, the same on net revenue (breadwinner_basis says which);
      prospect_with_budget: potential >= var prospect_min_potential_ratio x the median known
        potential of its level, and share of wallet < var prospect_max_share_of_wallet;
      image_maker: renowned flag; expert: strict quality requirements, or unpaid service minutes per
        1,000 of net revenue > var expert_min_support_minutes_per_k_revenue.
    Relationship type, first rule that applies (undetermined whenever the data needed is missing):
      undetermined (no purchase in the window / contacts not delivered); big_r (opportunities
      delivered, tenure >= var big_r_min_tenure_months, active-month share >= var
      big_r_min_active_month_share, contact functions >= var big_r_min_functions, opportunities in
      the window >= var big_r_min_opportunities); undetermined (all of big-R's conditions met but
      the function count, which only active contacts without a job function could complete);
      transactional (discount share > var
      transactional_min_discount_share with at most var transactional_max_contacts active
      contacts, or no active contact at all); undetermined (opportunities not delivered, so big-R
      cannot be ruled out); small_r (a relationship carried by contacts without the big-R breadth).
    Portfolio: share of wallet = max(net revenue, 0) / annual potential, capped at 1 (revenue
      above the stated potential means the potential is understated; revenue_to_potential_ratio
      keeps the uncapped figure), null without a positive potential; potential is high from the var high_potential_percentile percentile of known
      potentials of the level; share is high from var high_share_of_wallet.
      high potential + high share: maintain; low potential + high share: small_loyal;
      high potential + low share: competitor_stronghold; low potential + low share: develop.
-#}
-- every class and figure is carried through: the marts show the numbers behind each label
with classes as (
    select * from {{ ref('int_segment_entity_classes') }}
    where snapshot_index = 0
),

signals as (
    select
        segment_entity_id,
        has_contacts_file,
        has_opportunities_file,
        has_activities_file,
        active_contact_count,
        contact_function_count,
        unknown_function_contact_count,
        opportunity_count_window,
        won_opportunity_count_window,
        unpaid_service_minutes_window
    from {{ ref('int_segment_relationship_signals') }}
),

level_potentials as (
    select
        entity_level,
        median(annual_potential) as median_potential,
        quantile_cont(annual_potential, {{ number_var('high_potential_percentile') }}) as high_potential_threshold
    from classes
    where annual_potential > 0
    group by entity_level
),

joined as (
    select
        classes.*,
        signals.has_contacts_file,
        signals.has_opportunities_file,
        signals.has_activities_file,
        signals.active_contact_count,
        signals.contact_function_count,
        signals.unknown_function_contact_count,
        signals.opportunity_count_window,
        signals.won_opportunity_count_window,
        signals.unpaid_service_minutes_window,
        level_potentials.median_potential,
        level_potentials.high_potential_threshold
    from classes
    left join signals
        on classes.segment_entity_id = signals.segment_entity_id
    left join level_potentials
        on classes.entity_level = level_potentials.entity_level
),

measured as (
    select
        joined.*,
        case
            when annual_potential > 0 then cast(greatest(net_revenue_window, 0) / annual_potential as double)
        end as revenue_to_potential_ratio,
        -- revenue above the stated potential means the potential is understated: the share is full
        case
            when annual_potential > 0 then least(cast(greatest(net_revenue_window, 0) / annual_potential as double), 1)
        end as share_of_wallet,
        case
            when annual_potential is null then 'potential_unknown'
            when annual_potential <= 0 then 'potential_not_positive'
        end as share_of_wallet_missing_reason,
        case when gross_margin_window is not null then 'margin' else 'revenue' end as breadwinner_basis,
        case
            when gross_margin_window is not null then coalesce(margin_share, 0)
            else coalesce(revenue_share, 0)
        end as breadwinner_share,
        case
            when annual_potential > 0 and median_potential > 0 then cast(annual_potential / median_potential as double)
        end as potential_to_median_ratio,
        case
            when net_revenue_window > 0 and unpaid_service_minutes_window is not null
                then unpaid_service_minutes_window / (cast(net_revenue_window as double) / 1000)
        end as support_minutes_per_k_revenue
    from joined
),

typed as (
    select
        measured.*,
        coalesce(prior_revenue_share < {{ number_var('key_account_revenue_share') }}, false) as is_key_by_revenue,
        coalesce(is_strategic, false) as is_key_by_strategy,
        breadwinner_share >= {{ number_var('breadwinner_min_share') }} as is_breadwinner,
        case
            when potential_to_median_ratio is null then null
            else potential_to_median_ratio >= {{ number_var('prospect_min_potential_ratio') }}
                and share_of_wallet < {{ number_var('prospect_max_share_of_wallet') }}
        end as is_prospect_with_budget,
        is_renowned as is_image_maker,
        has_strict_quality_requirements
        or support_minutes_per_k_revenue > {{ number_var('expert_min_support_minutes_per_k_revenue') }}
            as is_expert,
        case
            when annual_potential > 0 then annual_potential >= high_potential_threshold
        end as is_high_potential,
        case
            when share_of_wallet is not null then share_of_wallet >= {{ number_var('high_share_of_wallet') }}
        end as is_high_share_of_wallet
    from measured
),

relationship as (
    select
        typed.*,
        case
            when purchase_month_count_window = 0 then 'no_purchase_in_window'
            when not has_contacts_file then 'contacts_not_delivered'
            -- contacts without a job function may cover the functions big-R needs: when only
            -- they could complete the count, big-R can be neither confirmed nor ruled out
            when has_opportunities_file
                and tenure_months >= {{ number_var('big_r_min_tenure_months') }}
                and active_month_share >= {{ number_var('big_r_min_active_month_share') }}
                and contact_function_count + unknown_function_contact_count >= {{ number_var('big_r_min_functions') }}
                and opportunity_count_window >= {{ number_var('big_r_min_opportunities') }}
                then case
                    when contact_function_count >= {{ number_var('big_r_min_functions') }}
                        then 'long_regular_broad_with_opportunity_flow'
                    else 'contact_functions_unknown'
                end
            when discount_share_window > {{ number_var('transactional_min_discount_share') }}
                and active_contact_count <= {{ number_var('transactional_max_contacts') }}
                then 'price_driven_few_contacts'
            when active_contact_count = 0 then 'no_active_contact'
            when not has_opportunities_file then 'opportunities_not_delivered'
            else 'contacts_without_big_r_breadth'
        end as relationship_type_reason
    from typed
),

final as (
    select
        relationship.*,
        is_key_by_revenue or is_key_by_strategy as is_key_account,
        case
            when is_key_by_revenue and is_key_by_strategy then 'revenue_share_and_strategic'
            when is_key_by_revenue then 'revenue_share'
            when is_key_by_strategy then 'strategic'
        end as key_account_rule,
        nullif(concat_ws(
            ',',
            case when is_breadwinner then 'breadwinner' end,
            case when is_prospect_with_budget then 'prospect_with_budget' end,
            case when is_image_maker then 'image_maker' end,
            case when is_expert then 'expert' end
        ), '') as key_account_types,
        case relationship_type_reason
            when 'long_regular_broad_with_opportunity_flow' then 'big_r'
            when 'price_driven_few_contacts' then 'transactional'
            when 'no_active_contact' then 'transactional'
            when 'contacts_without_big_r_breadth' then 'small_r'
            else 'undetermined'
        end as relationship_type,
        case when is_high_potential then 'high' when not is_high_potential then 'low' end as potential_class,
        case
            when is_high_potential is null or is_high_share_of_wallet is null then null
            when is_high_potential and is_high_share_of_wallet then 'maintain'
            when is_high_share_of_wallet then 'small_loyal'
            when is_high_potential then 'competitor_stronghold'
            else 'develop'
        end as portfolio_class,
        share_of_wallet_missing_reason as portfolio_class_missing_reason
    from relationship
)

select * from final
