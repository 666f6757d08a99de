{{ config(materialized='view') }}

with orders as (
    select
        order_id,
        cust_id,
        amount_cents,
        status,
        created_at
    from {{ source('shop', 'orders') }}
)

select
    order_id,
    cust_id as customer_id,
    {{ cents_to_amount('amount_cents') }} as amount,
    status,
    cast(created_at as timestamp) as created_at
from orders
where status <> 'cancelled'
  and amount_cents >= {{ var('min_amount_cents') }}
