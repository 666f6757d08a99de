select
    cast(created_at as date) as day,
    count(distinct customer_id) as customers,
    sum(amount) as revenue
from {{ ref('stg_orders') }}
group by 1
