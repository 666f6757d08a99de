"""Benchmarks of the monitors: checking/profiling throughput per core, and drift-alert latency.

Throughput runs in-process on columnar micro-batches and counts CPU time (time.process_time),
so the figure is events per second per core whatever else shares the machine. Latency runs the
real drift-monitor loop on a Kafka broker: per trial a fresh topic gets conforming events, the
monitor learns them, then a drifted event is produced; the latency is the time from that
produce call to the alert being read back from the alerts topic.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents import drift_monitor
from agents.edges import kafka_client
from agents.edges.broker import EmbeddedBroker, ensure_topics
from agents.edges.kafka import Destinations, KafkaBus, consume_batches, make_consumer
from agents.edges.store import Store, open_store
from core.config import KafkaSettings
from core.contracts import Contract
from core.errors import ConfigError
from core.models import AlertRaised
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

_SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "bench_monitors.py"
TARGET_EVENTS_PER_CORE = 100_000
TARGET_P99_S = 1.0


class Throughput(BaseModel):
    """Events per second per core of one stage of the monitors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str
    events: int
    cpu_s: float
    events_per_core_s: float


class Latency(BaseModel):
    """Seconds from the first drifted event's produce call to its alert being readable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trials: int
    p50_s: float
    p99_s: float
    max_s: float
    samples_s: list[float] = Field(description="One latency per trial, in trial order.")


class BenchReport(BaseModel):
    """Everything `suture bench` measured, with the targets it was judged against."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: int
    batch: int
    throughput: list[Throughput]
    latency: Latency | None
    target_events_per_core_s: int = TARGET_EVENTS_PER_CORE
    target_p99_s: float = TARGET_P99_S

    def table(self) -> str:
        """The figures as a plain-text table."""
        rows = [f"{'stage':<46} {'events/s/core':>14}"]
        rows += [f"{t.stage:<46} {t.events_per_core_s:>14,.0f}" for t in self.throughput]
        rows.append(f"target: >= {self.target_events_per_core_s:,} events/s/core")
        if self.latency is not None:
            lat = self.latency
            rows.append(
                f"drift alert latency over {lat.trials} trials: p50 {lat.p50_s * 1000:.0f} ms, "
                f"p99 {lat.p99_s * 1000:.0f} ms, max {lat.max_s * 1000:.0f} ms "
                f"(target p99 < {self.target_p99_s * 1000:.0f} ms)"
            )
        return "\n".join(rows)


def _workload() -> ModuleType:
    """bench/bench_monitors.py: the shared event generator and contract of the benchmarks."""
    spec = importlib.util.spec_from_file_location("bench_monitors", _SCRIPT)
    if spec is None or spec.loader is None or not _SCRIPT.exists():
        raise ConfigError(f"{str(_SCRIPT)!r} is missing; run `suture bench` from a checkout")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values`.

    >>> percentile([0.3, 0.1, 0.2], 0.5), percentile(list(range(1, 101)), 0.99)
    (0.2, 99)
    """
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _rate(
    stage: str, events: Sequence[bytes], batch: int, work: Callable[[Any], object]
) -> Throughput:
    batches = [events[i : i + batch] for i in range(0, len(events), batch)]
    spent = []
    for _ in range(5):  # best of five: other processes share the cores
        start = time.process_time()
        for chunk in batches:
            work(chunk)
        spent.append(time.process_time() - start)
    cpu = max(min(spent), 1e-9)
    return Throughput(
        stage=stage, events=len(events), cpu_s=round(cpu, 6), events_per_core_s=len(events) / cpu
    )


def measure_throughput(events: int, batch: int = 1_000) -> list[Throughput]:
    """Throughput of contract checking, profiling and detection on micro-batches of `batch`."""
    work = _workload()
    contract: Contract = work.CONTRACT
    sample = work.make_events(events)
    baseline = profile_batch(work.make_events(5_000, seed=1), event_time=contract.event_time)

    checker = ContractChecker(contract)

    def check_and_profile(chunk: Sequence[bytes]) -> object:
        # As the drift monitor does it: one decode shared by checking and profiling.
        decoded, indices, rejects = decode_events(chunk)
        check_decoded(checker, decoded, indices, rejects, len(chunk))
        return profile_decoded(decoded, indices, rejects, event_time=contract.event_time)

    def end_to_end(chunk: Sequence[bytes]) -> object:
        decoded, indices, rejects = decode_events(chunk)
        check_decoded(checker, decoded, indices, rejects, len(chunk))
        return monitor.observe(DecodedEvents(decoded), now=next(clock))

    def detect(chunk: Sequence[bytes]) -> object:
        current = profile_batch(chunk, event_time=contract.event_time)
        return detect_drift(contract, baseline, current) + detect_quality(
            contract, baseline, current
        )

    monitor = DatasetMonitor(contract)
    clock = iter(range(10**9))
    return [
        _rate("contract check (check_batch)", sample, batch, partial(check_batch, contract)),
        _rate(
            "profiling (profile_batch)",
            sample,
            batch,
            partial(profile_batch, event_time=contract.event_time),
        ),
        _rate("check + profile", sample, batch, check_and_profile),
        _rate("profile + drift + quality detection", sample, batch, detect),
        _rate("end to end (check + DatasetMonitor.observe)", sample, batch, end_to_end),
    ]


async def _trial(
    kafka: KafkaSettings,
    bootstrap: str,
    store: Store,
    bus: KafkaBus,
    work: ModuleType,
    conforming: int,
    **options: Any,
) -> float:
    """One latency trial on a fresh topic; the seconds from produce to a readable drift alert."""
    topic = f"bench.{uuid.uuid4().hex[:12]}"
    alerts, dead, held = topic + ".alerts", topic + ".dlq", topic + ".quarantine"
    await ensure_topics(bootstrap, [topic, alerts, dead, held], kafka=kafka)
    contract = work.CONTRACT.model_copy(update={"dataset": topic})
    deps = drift_monitor.Deps(
        monitor=DatasetMonitor(contract, source=drift_monitor.SOURCE),
        ledger=store,
        clock=time.time,
    )
    to = Destinations(alerts=alerts, proposals=alerts)
    seen, learned = 0, asyncio.Event()

    async def handle(records: Any) -> Any:
        nonlocal seen
        out = await drift_monitor.handle_batch(records, deps)
        seen += len(records)
        if seen >= conforming:
            learned.set()
        return out

    settings = kafka.model_copy(update={"bootstrap": bootstrap, "fetch_max_wait_ms": 10})
    consumer = make_consumer(bootstrap, [topic], f"bench.{topic}", settings, **options)
    # The loop ends by itself once it has committed every event: cancelling it mid-commit
    # would leave aiokafka's commit task failing after the consumer closed.
    total = conforming + 20
    monitor = asyncio.create_task(
        consume_batches(consumer, handle, bus, destinations=to, limit=total), name=f"bench {topic}"
    )
    reader = kafka_client.consumer(
        settings, bootstrap, alerts, role="bench.reader", fetch_max_wait_ms=10
    )
    producer = kafka_client.producer(settings, bootstrap, "bench.producer", linger_ms=0)
    events = work.make_events(total, seed=len(topic))
    drifted = [e.replace(b'"cust_id"', b'"customer_id"') for e in events[conforming:]]
    try:
        async with asyncio.timeout(60):
            await producer.start()
            await reader.start()
            for value in events[:conforming]:
                await producer.send(topic, value)
            await producer.flush()
            await learned.wait()
            started = time.perf_counter()
            await producer.send(topic, drifted[0])
            for value in drifted[1:]:
                await producer.send(topic, value)
            await producer.flush()
            while True:
                record = await reader.getone()
                if AlertRaised.model_validate_json(record.value or b"").category == "drift":
                    latency = time.perf_counter() - started
                    break
            await monitor
            return latency
    finally:
        if not monitor.done():
            monitor.cancel()
            await asyncio.gather(monitor, return_exceptions=True)
        await reader.stop()
        await producer.stop()


async def measure_latency(
    bootstrap: str | None,
    trials: int,
    conforming: int = 200,
    workdir: Path | None = None,
    kafka: KafkaSettings | None = None,
) -> Latency:
    """Drift-alert latency over `trials` fresh topics (embedded broker if `bootstrap` is None)."""
    work = _workload()
    kafka = kafka or KafkaSettings()
    with tempfile.TemporaryDirectory(prefix="suture-bench-") as scratch:
        root = workdir or Path(scratch)
        broker = None if bootstrap else EmbeddedBroker(root / "broker").start()
        try:
            address = bootstrap or broker.bootstrap  # type: ignore[union-attr]
            options = dict(EmbeddedBroker.CONSUMER_OPTIONS) if broker else {}
            store = await asyncio.to_thread(open_store, None, root)
            try:
                async with KafkaBus(address, kafka=kafka) as bus:
                    samples = [
                        await _trial(kafka, address, store, bus, work, conforming, **options)
                        for _ in range(trials)
                    ]
            finally:
                await asyncio.to_thread(store.close)
        finally:
            if broker is not None:
                await asyncio.to_thread(broker.stop)
    return Latency(
        trials=trials,
        p50_s=statistics.median(samples),
        p99_s=percentile(samples, 0.99),
        max_s=max(samples),
        samples_s=[round(s, 6) for s in samples],
    )


def run_bench(
    events: int,
    *,
    batch: int = 1_000,
    trials: int = 30,
    bootstrap: str | None = None,
    kafka: KafkaSettings | None = None,
) -> BenchReport:
    """Measure throughput, then latency (skipped when `trials` is 0)."""
    throughput = measure_throughput(events, batch)
    latency = asyncio.run(measure_latency(bootstrap, trials, kafka=kafka)) if trials else None
    return BenchReport(events=events, batch=batch, throughput=throughput, latency=latency)
