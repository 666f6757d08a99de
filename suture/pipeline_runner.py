"""A small stand-in for the user's own engine: applies the repository's models to micro-batches.

Staging models (those reading a topic) run on each micro-batch and append their rows to tables
of a DuckDB sink; models reading other models are views over those tables. A batch whose output
breaks the contract's invariants is not written: the runner stalls on it, as a failing dbt test
or Flink job would, and resumes once the pipeline repository's models change. Sink rows and the
next offset of each partition are written in one transaction, so a restart neither loses nor
duplicates an event.

The runner also reads `<topic>.replay`, where suture replays quarantined events once a fix is
applied. A replayed event may already be in the sink (it reached the topic too), so staging rows
are upserted on the contract's `key` when the model outputs a column of that name.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import sqlglot
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from agents.edges import kafka_client
from agents.edges.pipeline_files import PipelineFiles, read_pipeline_dir
from core.config import KafkaSettings
from core.contracts import Pipeline
from tools.sql.model_graph import build_graph
from tools.sql.replay import ReplayResult, replay

_log = logging.getLogger(__name__)


@dataclass
class RunnerStatus:
    """What the runner has done so far, for progress output and tests."""

    processed: int = 0
    undecodable: int = 0
    stalled_on: str | None = None
    models_version: str = ""
    history: list[str] = field(default_factory=list)


def _version(files: PipelineFiles) -> str:
    text = "\n".join(f"{k}\n{v}" for k, v in sorted(files.pipeline.models.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class PipelineRunner:
    """Runs one topic's models into a DuckDB sink, exactly once per event."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topic: str,
        repo_dir: Path,
        sink_path: Path,
        group_id: str = "shop.pipeline",
        on_status: Callable[[str], None] = lambda _: None,
        replay_suffix: str | None = ".replay",
        kafka: KafkaSettings | None = None,
    ) -> None:
        self._kafka = kafka or KafkaSettings()
        self._bootstrap, self._topic, self._repo_dir = bootstrap, topic, repo_dir
        self._topics = [topic] + ([topic + replay_suffix] if replay_suffix else [])
        self._sink_path, self._group_id, self._say = sink_path, group_id, on_status
        self.status = RunnerStatus()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set."""
        consumer = kafka_client.consumer(
            self._kafka,
            self._bootstrap,
            *self._topics,
            role="pipeline_runner",
            group_id=self._group_id,
            fetch_max_wait_ms=50,
        )
        await consumer.start()
        try:
            with duckdb.connect(str(self._sink_path)) as sink:
                _ensure_offsets_table(sink)
                while not stop.is_set():
                    batches = await consumer.getmany(timeout_ms=200, max_records=500)
                    for tp, records in batches.items():
                        await self._process_partition(consumer, sink, tp, records, stop)
        finally:
            await consumer.stop()

    async def _process_partition(
        self,
        consumer: AIOKafkaConsumer,
        sink: duckdb.DuckDBPyConnection,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        stop: asyncio.Event,
    ) -> None:
        start = _next_offset(sink, tp)
        fresh = [r for r in records if r.offset >= start]
        while fresh and not stop.is_set():
            files = await asyncio.to_thread(read_pipeline_dir, self._repo_dir)
            self.status.models_version = _version(files)
            was_stalled = self.status.stalled_on is not None
            written = await asyncio.to_thread(
                self._write_longest_valid_prefix, sink, tp, fresh, files
            )
            if written:
                await consumer.commit({tp: fresh[written - 1].offset + 1})
                fresh = fresh[written:]
            if was_stalled and self.status.stalled_on is None:
                self._say(f"pipeline resumed with models {self.status.models_version}")
            if fresh:
                await self._wait_for_new_models(files, stop)
        if stop.is_set() and fresh:
            consumer.seek(tp, fresh[0].offset)

    async def _wait_for_new_models(self, files: PipelineFiles, stop: asyncio.Event) -> None:
        version = _version(files)
        while not stop.is_set():
            current = await asyncio.to_thread(read_pipeline_dir, self._repo_dir)
            if _version(current) != version:
                return
            try:
                await asyncio.wait_for(stop.wait(), timeout=0.25)
            except TimeoutError:
                continue

    def _write_longest_valid_prefix(
        self,
        sink: duckdb.DuckDBPyConnection,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        files: PipelineFiles,
    ) -> int:
        """Write the longest prefix of `records` whose output keeps every invariant; its length."""
        events: list[dict[str, Any] | None] = [_decode(r.value) for r in records]
        failure = self._failure(files, events)
        if failure is None:
            good = len(records)
        else:
            good = _bisect_valid_prefix(
                lambda n: self._failure(files, events[:n]) is None, len(records)
            )
            if self.status.stalled_on != failure:
                self._say(
                    f"pipeline stalled at {tp.topic}[{tp.partition}]@"
                    f"{records[good].offset}: {failure}"
                )
                self.status.history.append(failure)
        self.status.stalled_on = failure
        if good:
            self._append(sink, tp, files, events[:good], records[good - 1].offset + 1)
            self.status.undecodable += sum(1 for e in events[:good] if e is None)
            self.status.processed += good
        return good

    def _replay(
        self, files: PipelineFiles, events: Sequence[dict[str, Any] | None]
    ) -> ReplayResult:
        """Staging models over `events`, with the contract's invariants on their output."""
        staging = _staging_pipeline(files.pipeline, self._topic)
        contract = files.contracts.get(self._topic)
        invariants = [
            i for i in (contract.invariants if contract else []) if i.model in staging.models
        ]
        return replay(
            staging,
            {self._topic: [e for e in events if e is not None]},
            {self._topic: contract} if contract else {},
            invariants,
        )

    def _failure(self, files: PipelineFiles, events: Sequence[dict[str, Any] | None]) -> str | None:
        broken = [c for c in self._replay(files, events).checks if not c.passed]
        return (
            "; ".join(
                f"invariant {c.name} failed on {c.violations} of {c.rows} rows"
                + (f" ({c.error})" if c.error else "")
                for c in broken
            )
            or None
        )

    def _append(
        self,
        sink: duckdb.DuckDBPyConnection,
        tp: TopicPartition,
        files: PipelineFiles,
        events: Sequence[dict[str, Any] | None],
        next_offset: int,
    ) -> None:
        outputs = {m: o.rows for m, o in self._replay(files, events).outputs.items()}
        staging = _staging_pipeline(files.pipeline, self._topic)
        contract = files.contracts.get(self._topic)
        key = contract.key if contract else None
        sink.begin()
        try:
            for model, rows in outputs.items():
                if not rows:
                    continue
                batch = pa.Table.from_pylist(rows)
                sink.register("_batch", batch)
                sink.execute(
                    f'CREATE TABLE IF NOT EXISTS "{model}" AS SELECT * FROM _batch LIMIT 0'
                )
                if key is not None and key in batch.column_names:
                    sink.execute(
                        f'DELETE FROM "{model}" WHERE "{key}" IN (SELECT "{key}" FROM _batch)'
                    )
                sink.execute(f'INSERT INTO "{model}" BY NAME SELECT * FROM _batch')
                sink.unregister("_batch")
            sink.execute(
                "INSERT OR REPLACE INTO _offsets VALUES (?, ?, ?)",
                [tp.topic, tp.partition, next_offset],
            )
            _refresh_views(sink, files.pipeline, set(staging.models))
            sink.commit()
        except Exception:
            sink.rollback()
            raise


def _decode(value: bytes | None) -> dict[str, Any] | None:
    try:
        event = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None


def _bisect_valid_prefix(is_valid: Callable[[int], bool], size: int) -> int:
    """The largest n <= size with is_valid(n), assuming validity is monotone in n."""
    low, high = 0, size
    while low < high:
        middle = (low + high + 1) // 2
        if is_valid(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _staging_pipeline(pipeline: Pipeline, topic: str) -> Pipeline:
    names = build_graph(pipeline, {topic}).models_reading(topic)
    return Pipeline(dialect=pipeline.dialect, models={n: pipeline.models[n] for n in names})


def _refresh_views(sink: duckdb.DuckDBPyConnection, pipeline: Pipeline, staging: set[str]) -> None:
    """Models over other models are views over the sink's staging tables."""
    for name in build_graph(pipeline).order():
        if name in staging:
            continue
        sql = sqlglot.transpile(pipeline.models[name], read=pipeline.dialect, write="duckdb")[0]
        sink.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')


def _ensure_offsets_table(sink: duckdb.DuckDBPyConnection) -> None:
    sink.execute(
        "CREATE TABLE IF NOT EXISTS _offsets (topic VARCHAR, part INTEGER, next_offset BIGINT, "
        "PRIMARY KEY (topic, part))"
    )


def _next_offset(sink: duckdb.DuckDBPyConnection, tp: TopicPartition) -> int:
    row = sink.execute(
        "SELECT next_offset FROM _offsets WHERE topic = ? AND part = ?", [tp.topic, tp.partition]
    ).fetchone()
    return int(row[0]) if row else 0
