{#-
    Contacts carry personal data (names, email, phone). They stay in this model only, tagged
    `personal_data` in its YAML; nothing downstream selects them, and a build-time check
    (tests/assert_no_personal_data_in_marts.sql) fails if they reach a mart.
-#}
with source as (
    select * from {{ source('landing', 'contacts') }}
),

typed as (
    select
        -- lineage
        _source_file as source_file,
        _source_row as source_row,
        _source_line as source_line,
        _is_duplicate_file as is_duplicate_file,
        _load_error as load_error,
        _raw_record as raw_record,
        -- ids
        {{ clean_code('contact_id') }} as contact_id,
        {{ clean_code('account_id') }} as account_id,
        -- erasure wins over every other reason: an erased person's data is never kept
        {{ clean_code('contact_id') }} in (
            select {{ clean_code('erasure_requests.contact_id') }}
            from {{ ref('erasure_requests') }} as erasure_requests
        ) as is_erased,
        -- personal data
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        lower({{ clean_text('email') }}) as email,
        {{ clean_text('phone') }} as phone,
        -- role in the account
        {{ clean_label('job_function') }} as job_function,
        {{ clean_label('decision_role') }} as decision_role,
        {{ clean_label('seniority') }} as seniority,
        {{ to_integer('closeness') }} as closeness,
        {{ to_date('active_from_date') }} as active_from_date,
        {{ to_date('left_date') }} as left_date,
        -- parse failures
        {{ is_unparsed('closeness', to_integer('closeness')) }} as is_bad_closeness,
        {{ is_unparsed('active_from_date', to_date('active_from_date')) }}
        or {{ is_unparsed('left_date', to_date('left_date')) }} as is_bad_date
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_erased", "erased_person", "contact_id"),
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("contact_id is null", "missing_required_value", "contact_id"),
            ("account_id is null", "missing_required_value", "account_id"),
            ("is_bad_closeness", "invalid_number", "closeness"),
            ("is_bad_date", "invalid_date", "active_from_date or left_date"),
            ("job_function not in ('purchasing', 'technical', 'finance', 'logistics', 'management', 'user')", "invalid_value", "job_function"),
            ("decision_role not in ('decision_maker', 'influencer', 'user', 'gatekeeper')", "invalid_value", "decision_role"),
            ("seniority not in ('executive', 'senior', 'middle', 'junior')", "invalid_value", "seniority"),
            ("closeness not between 1 and 5", "invalid_value", "closeness"),
        ] %}
        {{ first_failure(rules) }} as dq_reason,
        {{ first_failure(rules, 'detail') }} as dq_detail
    from typed
),

final as (
    select
        source_file,
        source_row,
        source_line,
        -- the raw record of a malformed row may hold personal data: it is never copied on
        case when raw_record is not null then '[personal data withheld]' end as raw_record,
        contact_id,
        account_id,
        case when is_erased then null else first_name end as first_name,
        case when is_erased then null else last_name end as last_name,
        -- a malformed email or phone is dropped as a value, the contact is kept (flagged)
        case
            when is_erased then null
            when regexp_full_match(email, '[^@\s]+@[^@\s]+\.[a-z]{2,}') then email
        end as email,
        case
            when is_erased then null
            when regexp_full_match(phone, '\+?[0-9][0-9 ().-]{5,24}') then phone
        end as phone,
        email is not null and not regexp_full_match(email, '[^@\s]+@[^@\s]+\.[a-z]{2,}') as is_email_malformed,
        phone is not null and not regexp_full_match(phone, '\+?[0-9][0-9 ().-]{5,24}') as is_phone_malformed,
        job_function,
        decision_role,
        seniority,
        closeness,
        active_from_date,
        left_date,
        dq_reason,
        dq_detail
    from checked
)

select * from final
