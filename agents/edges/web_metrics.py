"""Prometheus metrics of suture's work, computed from the store at each scrape.

Computed from the store rather than counted in memory, so every replica reports the same
figures and a restart loses none.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from core.errors import BrokerError

if TYPE_CHECKING:
    from agents.edges.store import Store

LagReader = Callable[[], Awaitable[Mapping[str, int]]]
logger = logging.getLogger(__name__)

TIME_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class _Snapshot:
    """The metric families built from one read of the store."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


async def _families(store: Store) -> list[Metric]:
    alerts = await store.list_alerts()
    records = await store.list_proposals()
    incidents = await store.list_incident_records(limit=1_000_000)
    letters = await store.list_dead_letter_records(limit=1_000_000)

    by_kind = Counter((a.category, d.kind) for a in alerts for d in a.detections)
    alerts_family = CounterMetricFamily(
        "suture_alerts",
        "Alerts raised, by category and detection kind",
        labels=["category", "kind"],
    )
    for (category, kind), count in sorted(by_kind.items()):
        alerts_family.add_metric([category, kind], count)

    proposals = GaugeMetricFamily("suture_proposals", "Proposals by status", labels=["status"])
    for status, count in sorted(Counter(r.status for r in records).items()):
        proposals.add_metric([status], count)

    raised_at = {a.event_id: a.occurred_at for a in alerts}
    waits = [
        (r.proposal.occurred_at - raised_at[r.proposal.alert_id]).total_seconds()
        for r in records
        if r.proposal.alert_id in raised_at
    ]
    buckets = [(str(b), float(sum(w <= b for w in waits))) for b in TIME_BUCKETS]
    time_to_proposal = HistogramMetricFamily(
        "suture_time_to_proposal_seconds",
        "Seconds from an alert to its proposal",
        buckets=[*buckets, ("+Inf", float(len(waits)))],
        sum_value=sum(waits),
    )

    failed_checks = Counter(c.name for r in records for c in r.proposal.validation.failures())
    validation = CounterMetricFamily(
        "suture_validation_failures", "Failed validation checks, by check", labels=["check"]
    )
    for name, count in sorted(failed_checks.items()):
        validation.add_metric([name], count)

    llm_calls = sum(r.proposal.llm_calls for r in records) + sum(
        i.incident.llm_calls for i in incidents
    )
    cache_hits = sum(r.proposal.origin == "kb" for r in records)
    open_incidents = GaugeMetricFamily("suture_incidents", "Incidents by status", labels=["status"])
    for state, number in sorted(Counter(i.status for i in incidents).items()):
        open_incidents.add_metric([state], number)
    dead = CounterMetricFamily("suture_dead_letters", "Dead letters, by topic", labels=["topic"])
    for topic, count in sorted(Counter(d.letter.topic for d in letters).items()):
        dead.add_metric([topic], count)
    return [
        alerts_family,
        proposals,
        time_to_proposal,
        validation,
        CounterMetricFamily("suture_llm_calls", "Model calls made for proposals", value=llm_calls),
        CounterMetricFamily(
            "suture_cache_hits", "Proposals served by the verified-fix cache", value=cache_hits
        ),
        open_incidents,
        dead,
    ]


async def _lag_families(lag: LagReader | None) -> list[Metric]:
    if lag is None:
        return []
    up = GaugeMetricFamily("suture_consumer_lag_up", "1 when suture's own lag could be read")
    try:
        lags = await lag()
    except BrokerError as error:
        logger.warning("suture's consumer lag could not be read: %s", error)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    family = GaugeMetricFamily(
        "suture_consumer_lag",
        "Messages suture's own consumer groups have not read",
        labels=["group"],
    )
    for group, behind in sorted(lags.items()):
        family.add_metric([group], behind)
    return [up, family]


async def metrics_text(store: Store, lag: LagReader | None = None) -> tuple[bytes, str]:
    """The metrics in the Prometheus text format, and its content type."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(await _families(store) + await _lag_families(lag)))
    return generate_latest(registry), CONTENT_TYPE_LATEST
