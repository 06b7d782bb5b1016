{#- Within a rep's planned accounts, priority ranks are 1, 2, 3, ... without ties or gaps. -#}
select
    owner_rep_id,
    count(*) as ranked_accounts,
    count(distinct rep_priority_rank) as distinct_ranks,
    max(rep_priority_rank) as max_rank
from {{ ref('fct_account_visit_priorities') }}
where rep_priority_rank is not null
group by owner_rep_id
having count(distinct rep_priority_rank) != count(*) or max(rep_priority_rank) != count(*)
