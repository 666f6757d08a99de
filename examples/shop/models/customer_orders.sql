select
  o.cust_id,
  count(*) as orders,
  sum(o.amount_cents) as spent_cents
from orders as o
group by o.cust_id
