"""The demo's producer of `orders` events: version 1, then a version 2 that renames a field."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

_STATUSES = ("placed", "placed", "placed", "shipped", "cancelled")


def orders(
    count: int, *, version: int, start: int = 0, seed: int = 7, base: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """`count` plausible orders; version 2 sends `customer_id` where version 1 sent `cust_id`.

    Order n happened `n` seconds after `base` (default: two minutes before this minute).
    """
    rng = random.Random(seed * 1_000_003 + start)
    base = base or datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    for n in range(start, start + count):
        customer = rng.randint(1000, 1040)
        event: dict[str, Any] = {
            "order_id": f"o-{n:05d}",
            "amount_cents": rng.randint(300, 25_000),
            "status": rng.choice(_STATUSES),
            "created_at": (base + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
            "email": f"shopper{customer}@example.com",
        }
        event["customer_id" if version >= 2 else "cust_id"] = customer
        yield event
