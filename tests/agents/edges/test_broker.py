"""The embedded broker: starts, answers Kafka, stops without leaving a process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from agents.edges.broker import (
    EmbeddedBroker,
    aresolve_bootstrap,
    ensure_topics,
    refused_topics,
)
from core.config import KafkaSettings
from core.errors import BrokerError

pytestmark = pytest.mark.kafka


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-broker"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


async def _partitions(bootstrap: str, topic: str) -> set[int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        return set(await producer.partitions_for(topic))
    finally:
        await producer.stop()


async def test_broker_answers_kafka_and_leaves_no_process_after_stop(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path).start()
    pid = broker.pid
    assert pid is not None and _running(pid)
    topic = "answers.kafka"
    await ensure_topics(broker.bootstrap, [topic], partitions=2)
    assert await _partitions(broker.bootstrap, topic) == {0, 1}
    broker.stop()
    assert not _running(pid)
    assert broker.pid is None
    assert "listening on" in broker.log_path.read_text()


async def test_second_broker_starts_cleanly_while_and_after_the_first_runs(tmp_path: Path) -> None:
    async with EmbeddedBroker(tmp_path / "one") as first:
        async with EmbeddedBroker(tmp_path / "two") as second:
            assert first.bootstrap != second.bootstrap
            await ensure_topics(second.bootstrap, ["second.topic"])
            pids = [first.pid, second.pid]
    assert all(pid is not None and not _running(pid) for pid in pids)
    with EmbeddedBroker(tmp_path / "one") as again:
        await ensure_topics(again.bootstrap, ["again.topic"])
        assert again.pid is not None and _running(again.pid)


async def test_stops_promptly_while_clients_are_still_connected(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broker = EmbeddedBroker(tmp_path, stop_timeout_s=2).start()
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait("connected", b"x")
        pid = broker.pid
        broker.stop()
    finally:
        await producer.stop()
    assert pid is not None and not _running(pid)
    assert "killing it" not in caplog.text


def test_reports_a_broker_that_exits_with_the_end_of_its_log(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path, binary=_script(tmp_path, "echo 'cannot bind: boom'; exit 3"))
    with pytest.raises(BrokerError, match=r"exited with status 3(.|\n)*cannot bind: boom"):
        broker.start()
    assert broker.pid is None


def test_kills_a_broker_that_never_answers_even_if_it_ignores_signals(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pid_file = tmp_path / "pid"
    script = _script(tmp_path, f"echo $$ > {pid_file}; trap '' INT TERM; exec sleep 60")
    broker = EmbeddedBroker(tmp_path, binary=script, start_timeout_s=0.3, stop_timeout_s=0.2)
    with pytest.raises(BrokerError, match="did not answer the Kafka protocol") as caught:
        broker.start()
    assert broker.pid is None
    assert not _running(int(pid_file.read_text()))
    assert "ignored SIGINT for 0.2 s; killing it" in caplog.text
    assert "kafka.bootstrap" in str(caught.value)


def test_bootstrap_of_a_stopped_broker_says_to_start_it(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match=r"call start\(\) first"):
        _ = EmbeddedBroker(tmp_path).bootstrap


async def test_ensure_topics_accepts_topics_that_exist(kafka_bootstrap: str) -> None:
    await ensure_topics(kafka_bootstrap, ["exists.once", "exists.twice"])
    await ensure_topics(kafka_bootstrap, ["exists.twice", "exists.thrice"])
    assert await _partitions(kafka_bootstrap, "exists.thrice") == {0}


def test_refused_topics_names_each_refusal_but_not_existing_topics() -> None:
    errors = [("new", 0, None), ("old", 36, "exists"), ("bad/name", 17, "Invalid topic"), ("x", 41)]
    assert refused_topics(errors) == ["bad/name: Invalid topic", "x: error code 41"]


async def test_ensure_topics_explains_an_unreachable_broker(tmp_path: Path) -> None:
    with EmbeddedBroker(tmp_path) as broker:
        bootstrap = broker.bootstrap
    with pytest.raises(BrokerError, match=r"cannot reach Kafka .*that the broker is up"):
        await ensure_topics(bootstrap, ["nowhere"], timeout_s=2)


async def test_ensure_topics_creates_each_topic_as_its_override_says(kafka_bootstrap: str) -> None:
    wide, plain = f"wide.{os.getpid()}.{id(object())}", f"plain.{os.getpid()}.{id(object())}"
    kafka = KafkaSettings.model_validate(
        {"topics": {wide: {"partitions": 3, "config": {"retention.ms": "3600000"}}}}
    )
    await ensure_topics(kafka_bootstrap, [wide, plain], kafka=kafka)
    assert await _partitions(kafka_bootstrap, wide) == {0, 1, 2}
    assert await _partitions(kafka_bootstrap, plain) == {0}


async def test_resolve_bootstrap_keeps_a_configured_cluster(tmp_path: Path) -> None:
    found = await aresolve_bootstrap("kafka.example:9092", tmp_path)
    assert found == ("kafka.example:9092", None)
    assert not (tmp_path / "broker").exists()


async def test_resolve_bootstrap_starts_the_embedded_broker_when_unset(tmp_path: Path) -> None:
    bootstrap, broker = await aresolve_bootstrap(None, tmp_path)
    assert broker is not None
    try:
        assert bootstrap == broker.bootstrap
        await ensure_topics(bootstrap, ["resolved.topic"])
        assert (tmp_path / "broker" / "broker.log").exists()
    finally:
        broker.stop()


def _gone(pid: int, within_s: float = 10.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            return True
        if status == "Z":  # a zombie listens no more; its parent reaps it
            return True
        time.sleep(0.05)
    return False


def test_a_new_start_in_the_same_folder_kills_the_broker_an_earlier_run_left(
    tmp_path: Path,
) -> None:
    orphan = EmbeddedBroker(tmp_path).start()  # stands for one whose parent died by SIGKILL
    old_pid, old_store = orphan.pid, orphan.store_pid
    assert old_pid is not None and orphan.pid_path.read_text().startswith(f"{old_pid}\n")
    assert old_store is not None
    try:
        with EmbeddedBroker(tmp_path) as fresh:
            assert fresh.pid != old_pid and _gone(old_pid)
            assert fresh.store_pid != old_store and _gone(old_store)
            assert fresh.pid_path.read_text().startswith(f"{fresh.pid}\n")
        assert not fresh.pid_path.exists()
    finally:
        orphan.stop()


def test_the_broker_dies_with_a_process_killed_by_sigkill(tmp_path: Path) -> None:
    script = (
        "import asyncio, sys\n"
        "from pathlib import Path\n"
        "from agents.edges.broker import aresolve_bootstrap\n"
        "async def main():\n"
        "    _, broker = await aresolve_bootstrap(None, Path(sys.argv[1]))\n"
        "    print(broker.pid, broker.store_pid, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        broker_pid, store_pid = map(int, parent.stdout.readline().split())
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        assert _gone(broker_pid), "the broker outlived its parent"
        assert _gone(store_pid), "the broker's object store outlived its parent"
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
