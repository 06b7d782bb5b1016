{#-
    Clean contacts without their personal data: names, email and phone stay in staging. What
    the scores need is whether a channel exists (has_email, has_phone) and the contact's role.
-#}
with clean_contacts as (
    select * from {{ ref('int_contacts__checked') }}
    where dq_reason is null
),

final as (
    select
        source_file,
        source_row,
        contact_id,
        account_id,
        job_function,
        decision_role,
        seniority,
        closeness,
        active_from_date,
        left_date,
        email is not null as has_email,
        phone is not null as has_phone
    from clean_contacts
)

select * from final
