{#-
    GDPR right to erasure: a contact listed in seed erasure_requests keeps no name, email or
    phone in any model, whatever else is wrong with its row (duplicate file, malformed record,
    ...). Fails with one row per landing row that still holds personal data of an erased person.
-#}
with erased_contacts as (
    select upper(trim(contact_id)) as contact_id from {{ ref('erasure_requests') }}
),

contact_rows as (
    select
        'stg_landing__contacts' as model_name,
        source_file,
        source_row,
        contact_id,
        first_name,
        last_name,
        email,
        phone
    from {{ ref('stg_landing__contacts') }}
    union all
    select
        'int_contacts__checked' as model_name,
        source_file,
        source_row,
        contact_id,
        first_name,
        last_name,
        email,
        phone
    from {{ ref('int_contacts__checked') }}
)

select
    contact_rows.model_name,
    contact_rows.source_file,
    contact_rows.source_row,
    contact_rows.contact_id
from contact_rows
inner join erased_contacts
    on contact_rows.contact_id = erased_contacts.contact_id
where contact_rows.first_name is not null
    or contact_rows.last_name is not null
    or contact_rows.email is not null
    or contact_rows.phone is not null
