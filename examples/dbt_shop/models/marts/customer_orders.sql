{{ config(materialized='table') }}

-- spend per customer, straight from the topic
select
    o.cust_id,
    count(*) as orders,
    sum(o.amount_cents) as spent_cents
from {{ source('shop', 'orders') }} as o
group by o.cust_id
