"""`suture bench burst`: how many alerts a second `suture up` handles, with 1..N replicas.

A broker (the embedded one) and a store (SQLite, or the PostgreSQL at `--store-url`) are shared
by `--replicas` separate `suture up` processes. A burst of `--alerts` alerts about `--datasets`
topics that have no contract (each becomes an incident: the healer's cheapest complete path,
from consume to store to publish) is produced at once; the figure is alerts handled per second
from the first produce until every incident is stored.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from agents.edges.broker import EmbeddedBroker, ensure_topics
from agents.edges.git_repo import GitPipelineRepo
from agents.edges.kafka import KafkaBus, Outgoing
from agents.edges.store import open_store
from core.config import BrokerStorage, KafkaSettings
from core.errors import ConfigError
from core.models import AlertRaised, Detection

SHOP = Path(__file__).resolve().parents[1] / "examples" / "shop"
PARTITIONS = 6


@dataclass(frozen=True)
class BurstReport:
    """What one burst measured."""

    alerts: int
    datasets: int
    replicas: int
    store: str
    broker_storage: BrokerStorage
    seconds: float

    def table(self) -> str:
        """The figures, one per line."""
        rate = self.alerts / self.seconds if self.seconds else 0.0
        return (
            f"alerts {self.alerts} over {self.datasets} topics, {self.replicas} replica(s), "
            f"store {self.store}, broker log in {self.broker_storage}\n"
            f"handled in {self.seconds:.1f} s: {rate:.0f} alerts/s"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(repo: Path, workdir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    command = [sys.executable, "-m", "suture.cli", "up", "--repo", str(repo)]
    with open(workdir.parent / f"{workdir.name}.log", "ab") as log:
        process = subprocess.Popen(
            [*command, "--workdir", str(workdir)],
            env=env | {"SUTURE_WEB_PORT": str(port)},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    return process, port


def _wait_healthy(process: subprocess.Popen[bytes], port: int, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ConfigError(f"a replica exited with status {process.returncode} at start")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise ConfigError("a replica did not become healthy in time")


def _alerts(count: int, datasets: int) -> list[bytes]:
    return [
        AlertRaised(
            source="bench",
            category="quality",
            dataset=f"bench_topic_{n % datasets}",
            detections=[Detection(kind="null_spike", field="amount", rate=0.4)],
        )
        .model_dump_json(by_alias=True)
        .encode()
        for n in range(count)
    ]


async def _burst(
    bootstrap: str, store_url: str | None, workdir: Path, alerts: list[bytes]
) -> float:
    store = open_store(store_url, workdir)
    try:
        started = time.monotonic()
        async with KafkaBus(bootstrap) as bus:
            await bus.publish_all([Outgoing("suture.alerts", raw) for raw in alerts])
        while len(await store.list_incidents()) < len(alerts):  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        return time.monotonic() - started
    finally:
        store.close()


def run_burst_bench(
    alerts: int,
    datasets: int,
    replicas: int,
    store_url: str | None,
    json_path: Path | None,
    storage: BrokerStorage = "disk",
) -> int:
    """Run one burst and print its figures (the embedded broker keeps its log as `storage`)."""
    if alerts < 1 or datasets < 1 or replicas < 1:
        raise ConfigError("--alerts, --datasets and --replicas must be at least 1")
    with tempfile.TemporaryDirectory(prefix="suture-burst-") as folder:
        root = Path(folder)
        repo = GitPipelineRepo.create(SHOP, root / "repo")
        url = store_url or f"sqlite:///{root / 'store.db'}"
        processes: list[subprocess.Popen[bytes]] = []
        with EmbeddedBroker(root / "broker", storage=storage) as broker:
            kafka = KafkaSettings(bootstrap=broker.bootstrap)
            asyncio.run(ensure_topics(broker.bootstrap, ["suture.alerts"], PARTITIONS, kafka=kafka))
            env = {k: v for k, v in os.environ.items() if not k.startswith("SUTURE_")}
            env |= {"SUTURE_KAFKA_BOOTSTRAP": broker.bootstrap, "SUTURE_STORE_URL": url}
            try:
                started = [_start(repo.path, root / f"replica{i}", env) for i in range(replicas)]
                processes = [p for p, _ in started]
                for process, port in started:
                    _wait_healthy(process, port)
                seconds = asyncio.run(
                    _burst(broker.bootstrap, url, root, _alerts(alerts, datasets))
                )
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    try:
                        process.wait(30)
                    except subprocess.TimeoutExpired:
                        process.kill()
    report = BurstReport(
        alerts, datasets, replicas, "postgresql" if store_url else "sqlite", storage, seconds
    )
    print(report.table())
    if json_path is not None:
        json_path.write_bytes(orjson.dumps(report.__dict__, option=orjson.OPT_INDENT_2) + b"\n")
    return 0
