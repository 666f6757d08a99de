"""The embedded broker's object store: `agents.edges.s3_server` as a child process on loopback,
keeping the bucket Tansu writes its log to in a folder, so a restarted broker finds its topics,
records and committed offsets again."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import sys
import time
from pathlib import Path

from agents.edges.child_process import ChildService, free_port
from agents.edges.s3_server import ACCESS_KEY_VARIABLE
from core.errors import BrokerError

BUCKET = "tansu"
_MODULE = "agents.edges.s3_server"


def _answers(port: int, access_key: str, timeout_s: float = 0.5) -> bool:
    """True when the server at `port` says the bucket exists (it is up, and it is ours)."""
    request = (
        f"HEAD /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: AWS4-HMAC-SHA256 Credential={access_key}/probe\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
            sock.sendall(request)
            return sock.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class ObjectStoreProcess:
    """An S3-compatible server over `folder/data`, logging to `folder/object-store.log`."""

    def __init__(
        self, folder: Path, *, start_timeout_s: float = 15.0, stop_timeout_s: float = 5.0
    ) -> None:
        self.folder = folder
        self.start_timeout_s = start_timeout_s
        self.access_key = secrets.token_hex(16)
        self._service = ChildService(
            "object store of the embedded broker",
            folder / "object-store.log",
            folder / "object-store.pid",
            stop_signal=signal.SIGTERM,
            stop_timeout_s=stop_timeout_s,
        )
        self._port: int | None = None

    @property
    def data_dir(self) -> Path:
        """Where the objects are kept: what makes the broker's log survive a restart."""
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        """The file the server's output goes to."""
        return self._service.log_path

    @property
    def pid_path(self) -> Path:
        """The file naming the running server, so a later start can reap an orphan."""
        return self._service.pid_path

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._service.pid

    @property
    def storage_engine(self) -> str:
        """The broker's `--storage-engine` for this store."""
        return f"s3://{BUCKET}/"

    def tansu_environment(self) -> dict[str, str]:
        """The variables Tansu's S3 storage reads to reach this server."""
        if self._port is None:
            raise BrokerError("the object store is not running; call spawn() first")
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": secrets.token_hex(16),  # signatures are not checked
            "AWS_ENDPOINT": f"http://127.0.0.1:{self._port}",
            "AWS_ALLOW_HTTP": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }

    def spawn(self) -> None:
        """Start the server (call from the main thread: it then dies with this process)."""
        if self._service.started:
            raise BrokerError("the object store already runs; stop() it first")
        self._service.reap_orphan()
        self._port = free_port()
        # Absolute: the server runs from the project root, not from where suture was started.
        command = [sys.executable, "-m", _MODULE, "--root", str(self.data_dir.resolve())]
        try:
            self._service.spawn(
                [*command, "--bucket", BUCKET, "--port", str(self._port)],
                recognised_by=3,
                env=os.environ | {ACCESS_KEY_VARIABLE: self.access_key},
                cwd=Path(__file__).resolve().parents[2],  # where `agents` imports from
            )
        except OSError as error:
            self._port = None
            raise BrokerError(f"cannot start the broker's object store: {error}") from error

    def wait_ready(self) -> bool:
        """Block until the server answers; False if it exited or did not answer in time."""
        deadline = time.monotonic() + self.start_timeout_s
        while self.running and time.monotonic() < deadline:
            if self._port is not None and _answers(self._port, self.access_key):
                return True
            time.sleep(0.02)
        return False

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would (for tests of what survives one)."""
        self._service.kill()
        self.stop()

    @property
    def running(self) -> bool:
        """True while the server process lives."""
        return self._service.running

    def stop(self) -> None:
        """Interrupt the server, kill it if it does not exit in time, and close its log."""
        try:
            self._service.stop()
        finally:
            self._port = None
