"""Throughput of the monitors' pure core, in events per second per core (CPU time, one process).

Run: .venv/bin/python bench/bench_monitors.py [--events N] [--batch N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence

import orjson

from core.contracts import Contract
from tools.contracts.check import ContractChecker, check_batch, check_decoded
from tools.monitoring.dataset_monitor import DatasetMonitor
from tools.monitoring.drift_detection import detect_drift
from tools.monitoring.quality import detect_quality
from tools.profiling.profile_batch import (
    DecodedEvents,
    decode_events,
    profile_batch,
    profile_decoded,
)

REPEATS = 5

CONTRACT = Contract(
    dataset="orders",
    fields=[
        {"name": "order_id", "type": "string", "required": True, "unique": True},
        {"name": "cust_id", "type": "integer", "required": True},
        {"name": "amount_cents", "type": "integer", "min": 0},
        {"name": "status", "type": "string", "enum": ["placed", "shipped", "cancelled"]},
        {"name": "created_at", "type": "timestamp", "required": True},
        {"name": "email", "type": "string", "pii": True},
        {"name": "address.city", "type": "string"},
        {"name": "address.zip", "type": "string"},
    ],
    event_time="created_at",
)


def make_events(count: int, seed: int = 0) -> list[bytes]:
    """Orders as the producer would send them: JSON bytes with a nested address."""
    rng = random.Random(seed)
    return [
        orjson.dumps(
            {
                "order_id": f"o{i}",
                "cust_id": rng.randint(1, 5000),
                "amount_cents": rng.randint(100, 90000),
                "status": rng.choice(["placed", "shipped", "cancelled"]),
                "created_at": f"2026-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
                "email": f"user{i}@example.com" if rng.random() < 0.9 else None,
                "address": {
                    "city": rng.choice(["Paris", "Lyon", "Nice"]),
                    "zip": f"{rng.randint(10000, 99999)}",
                },
            }
        )
        for i in range(count)
    ]


def measure(
    name: str, events: Sequence[bytes], batch: int, work: Callable[[Sequence[bytes]], object]
) -> None:
    """Print events/s/core of `work` applied to consecutive batches."""
    batches = [events[i : i + batch] for i in range(0, len(events), batch)]
    spent = []
    for _ in range(REPEATS):  # best of a few runs: other processes share the cores
        start = time.process_time()
        for chunk in batches:
            work(chunk)
        spent.append(time.process_time() - start)
    print(f"{name:<44} {len(events) / min(spent):>12,.0f} events/s/core")


def main() -> None:
    """Run every benchmark and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    events = make_events(args.events)
    baseline = profile_batch(make_events(5_000, seed=1), event_time="created_at")
    print(f"{args.events:,} events of {len(events[0])} bytes, batches of {args.batch}")
    measure(
        "orjson.loads only (reference)", events, args.batch, lambda b: [orjson.loads(e) for e in b]
    )
    measure("profile_batch", events, args.batch, profile_batch)
    measure(
        "profile_batch + event time",
        events,
        args.batch,
        lambda b: profile_batch(b, event_time="created_at"),
    )
    measure(
        "check_batch (per-event contract violations)",
        events,
        args.batch,
        lambda b: check_batch(CONTRACT, b),
    )

    checker = ContractChecker(CONTRACT)

    def check_and_profile(chunk: Sequence[bytes]) -> object:
        decoded, indices, rejects = decode_events(chunk)
        check_decoded(checker, decoded, indices, rejects, len(chunk))
        return profile_decoded(decoded, indices, rejects, event_time="created_at")

    measure("check + profile (one shared decode)", events, args.batch, check_and_profile)
    violating = [
        e.replace(b'"status"', b'"state"') if i % 10 == 0 else e for i, e in enumerate(events)
    ]
    measure(
        "check_batch, 10% of events violating",
        violating,
        args.batch,
        lambda b: check_batch(CONTRACT, b),
    )

    def detect(chunk: Sequence[bytes]) -> object:
        current = profile_batch(chunk, event_time="created_at")
        return detect_drift(CONTRACT, baseline, current) + detect_quality(
            CONTRACT, baseline, current
        )

    measure("profile + detect_drift + detect_quality", events, args.batch, detect)
    monitor = DatasetMonitor(CONTRACT)
    clock = iter(range(10**9))
    measure(
        "DatasetMonitor.observe",
        events,
        args.batch,
        lambda b: monitor.observe(b, now=next(clock)),
    )

    def end_to_end(chunk: Sequence[bytes]) -> object:
        decoded, indices, rejects = decode_events(chunk)
        check_decoded(checker, decoded, indices, rejects, len(chunk))
        return monitor.observe(DecodedEvents(decoded), now=next(clock))

    measure("check + DatasetMonitor.observe (end to end)", events, args.batch, end_to_end)
    measure(
        "profile_batch, timeline (lateness, gaps)",
        events,
        args.batch,
        lambda b: profile_batch(b, event_time="created_at", timeline=True),
    )
    drifted = [
        e.replace(b'"cust_id"', b'"customer_id"').replace(b'"email"', b'"mail"') for e in events
    ]
    measure("detection on drifted batches (renames)", drifted, args.batch, detect)
    measure(
        "check_batch on drifted batches (all violate)",
        drifted,
        args.batch,
        lambda b: check_batch(CONTRACT, b),
    )


if __name__ == "__main__":
    main()
