select
  order_id,
  cust_id as customer_id,
  amount_cents / 100.0 as amount,
  status,
  cast(created_at as timestamp) as created_at
from orders
where status <> 'cancelled'
