"""Content-addressed files for payloads too large to travel in a Kafka record: each is written
once, under its SHA-256, and read back by its reference (`blob:sha256:<hex>`)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from core.errors import StoreError

_REF = re.compile(r"blob:sha256:([0-9a-f]{64})")


class FileBlobs:
    """Blobs as files under `root` (the workdir's `blobs/` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        """Keep `data` (once: the same bytes always get the same reference) and return its ref."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees half a blob, a crash leaves no broken one.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return f"blob:sha256:{digest}"

    def get(self, ref: str) -> bytes:
        """The bytes kept under `ref`, checked against their checksum."""
        match = _REF.fullmatch(ref)
        if match is None:
            raise StoreError(f"{ref!r} is not a blob reference (blob:sha256:<64 hex digits>)")
        path = self._path(match.group(1))
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise StoreError(f"no blob {ref!r} under {self.root}") from error
        if hashlib.sha256(data).hexdigest() != match.group(1):
            raise StoreError(f"blob {ref!r} under {self.root} does not match its checksum")
        return data

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest
