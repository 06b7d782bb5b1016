{#-
    The share of wallet behind the QRC criterion at the as-of date is the segmentation's
    (fct_account_segments.share_of_wallet): same window, same definition.
-#}
select
    segments.account_id,
    segments.share_of_wallet as segment_share_of_wallet,
    criteria.share_of_wallet_value as score_share_of_wallet
from {{ ref('fct_account_segments') }} as segments
inner join {{ ref('int_account_snapshot_qrc_criteria') }} as criteria
    on segments.account_id = criteria.account_id
    and criteria.is_current
where not (
    (segments.share_of_wallet is null and criteria.share_of_wallet_value is null)
    or abs(segments.share_of_wallet - criteria.share_of_wallet_value) <= 1e-9
)
