"""The embedded broker's object store: `agents.edges.s3_server` as a child process on loopback,
keeping the bucket Tansu writes its log to in a folder, so a restarted broker finds its topics,
records and committed offsets again."""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from agents.edges.child_process import die_with_parent, reap_orphan, write_pidfile
from agents.edges.s3_server import ACCESS_KEY_VARIABLE
from core.errors import BrokerError

logger = logging.getLogger(__name__)

BUCKET = "tansu"
_MODULE = "agents.edges.s3_server"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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
        self.stop_timeout_s = stop_timeout_s
        self.access_key = secrets.token_hex(16)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._port: int | None = None

    @property
    def data_dir(self) -> Path:
        """Where the objects are kept: what makes the broker's log survive a restart."""
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        """The file the server's output goes to."""
        return self.folder / "object-store.log"

    @property
    def pid_path(self) -> Path:
        """The file naming the running server, so a later start can reap an orphan."""
        return self.folder / "object-store.pid"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self._process is None else self._process.pid

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
        if self._process is not None:
            raise BrokerError("the object store already runs; stop() it first")
        self.folder.mkdir(parents=True, exist_ok=True)
        reap_orphan(self.pid_path, "object store of the embedded broker")
        self._port = _free_port()
        command = [sys.executable, "-m", _MODULE, "--root", str(self.data_dir)]
        self._log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                [*command, "--bucket", BUCKET, "--port", str(self._port)],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=os.environ | {ACCESS_KEY_VARIABLE: self.access_key},
                cwd=Path(__file__).resolve().parents[2],  # where `agents` imports from
                preexec_fn=die_with_parent(),
                start_new_session=True,  # a Ctrl-C reaches suture, which stops it last
            )
        except OSError as error:
            self.stop()
            raise BrokerError(f"cannot start the broker's object store: {error}") from error
        atexit.register(self.stop)
        write_pidfile(self.pid_path, self._process.pid, command[:3])

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
        if self._process is not None:
            self._process.kill()
        self.stop()

    @property
    def running(self) -> bool:
        """True while the server process lives."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Interrupt the server, kill it if it does not exit in time, and close its log."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        try:
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(self.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    logger.warning("object store pid %d ignored SIGTERM; killing it", process.pid)
                    process.kill()
                    process.wait()
        finally:
            if process is not None:
                self.pid_path.unlink(missing_ok=True)
            if self._log is not None:
                self._log.close()
                self._log = None
            self._port = None
