-- The week's subscriber lines (subscriber, access, class), each with the integer key the
-- attributed flows carry: flows are stored with the key, and the lines' attributes are
-- joined to the much smaller aggregates of them.
-- A line's key is a 31-bit hash of its text (macros/engine_sql.sql), which needs no sort of
-- the week's lines (numbering them all in order was 40% of the model's time). The few lines
-- whose hash another line shares are numbered instead, -1, -2, ... in the order of their
-- text: every key is its line's alone, the same in every build of the week.
with lines as {{ cte_stored(false) }} (
    select distinct subscriber_id, access, customer_class
    from {{ ref('stg_assignments') }}
),

-- stored: three parts below read the hash, an MD5 of each line's text
hashed_lines as {{ cte_stored(true) }} (
    select
        *,
        {{ line_hash(['subscriber_id', 'access', 'customer_class']) }} as line_hash
    from lines
),

shared_hashes as (
    select line_hash
    from hashed_lines
    group by line_hash
    having count(*) > 1
),

keyed_lines as (
    select
        line_hash as holder_key,
        subscriber_id,
        access,
        customer_class
    from hashed_lines
    anti join shared_hashes using (line_hash)

    union all

    select
        cast(-row_number() over (order by subscriber_id, access, customer_class) as integer),
        subscriber_id,
        access,
        customer_class
    from hashed_lines
    semi join shared_hashes using (line_hash)
)

select
    {{ analysis_week_start() }} as week_start,
    holder_key,
    subscriber_id,
    access,
    customer_class
from keyed_lines
