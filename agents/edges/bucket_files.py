"""One S3 bucket kept as files in a folder: the storage behind the embedded broker's object store.

Every key segment becomes a folder (`d.<segment>`) and the last one a file (`f.<segment>`),
percent-encoded, so `a` and `a/b` can both be objects and a listing by prefix walks only the
folders under that prefix.

A process killed mid-write leaves the old object or the new one, never half of one: a new
object is written to `n.<segment>` and renamed into place; a new version of an object is
written to `i.<segment>`, then the old file is removed and the new one renamed into place (a
rename *over* a file costs ext4 a flush, ~1.5 ms a write, where this costs none). A complete
`i.` file with no `f.` beside it is the object (the writer died between removing the old
version and renaming); an `n.` file, or an `i.` file beside an `f.` file, is an unfinished
write and ignored. Writes are not fsynced (like Kafka's default flush policy): they survive
the death of any process, not that of the machine.

Not thread-safe: one event loop owns a bucket, and its checks and writes never interleave.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

_Keys = list[str]  # (`FileBucket.list` hides the builtin inside the class)
_Encoded = list[bytes]
_FOLDER = "d."
_FILE = "f."
_NEW = "n."  # a first version being written
_NEXT = "i."  # a later version being written; the object itself once its `f.` file is gone


@dataclass(frozen=True)
class StoredObject:
    """What a listing or a HEAD tells about one object."""

    key: str
    etag: str  # quoted, as S3 sends it: '"<md5 hex>"'
    size: int
    modified_ns: int  # nanoseconds since the epoch

    @property
    def modified(self) -> float:
        """Seconds since the epoch (to the microsecond or so: use `modified_ns` to order)."""
        return self.modified_ns / 1e9


@dataclass(frozen=True)
class Listing:
    """One page of a ListObjectsV2 answer."""

    objects: list[StoredObject]
    common_prefixes: list[str]
    next_after: str | None  # the key to continue after, when the page was cut short


def etag_matches(condition: str, etag: str) -> bool:
    """True when an If-Match / If-None-Match header value names `etag` (or is `*`)."""
    wanted = [part.strip().removeprefix("W/") for part in condition.split(",")]
    return "*" in wanted or etag in wanted


def _beside(path: Path, kind: str) -> Path:
    """The file of another kind (`n.`, `i.`) for the object file `path`."""
    return path.with_name(kind + path.name[len(_FILE) :])


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'


class FileBucket:
    """The objects of one bucket, as files under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        # Objects read or written since start: this process is the only writer, so an entry
        # stays true until it writes or deletes that key itself (listings then cost no I/O).
        self._known: dict[str, StoredObject] = {}
        # Sorted keys per folder, with the folder's version when they were read.
        self._listings: dict[str, tuple[int, _Encoded, _Keys]] = {}
        self._versions: dict[str, int] = {}
        self._last_write_ns = 0

    def path(self, key: str) -> Path:
        """The file that holds `key`."""
        *folders, name = key.split("/")
        parts = [_FOLDER + quote(segment, safe="") for segment in folders]
        return self.root.joinpath(*parts, _FILE + quote(name, safe=""))

    def head(self, key: str) -> StoredObject | None:
        """What is stored under `key`, or None."""
        if (known := self._known.get(key)) is not None:
            return known
        got = self.get(key)
        return None if got is None else got[0]

    def get(self, key: str) -> tuple[StoredObject, bytes] | None:
        """The object under `key` and its bytes, or None."""
        path = self._finished(key)
        try:
            data = path.read_bytes()
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return self._remember(key, data, stat.st_mtime_ns), data

    def put(
        self,
        key: str,
        data: bytes,
        *,
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> StoredObject | None:
        """Store `data` under `key` unless a condition fails (then None, and nothing written):
        `if_none_match="*"` creates only, `if_match=<etag>` replaces only that version."""
        current = self.head(key)
        if if_none_match is not None and current is not None:
            if etag_matches(if_none_match, current.etag):
                return None
        if if_match is not None and (current is None or not etag_matches(if_match, current.etag)):
            return None
        path = self.path(key)
        if current is None:
            path.parent.mkdir(parents=True, exist_ok=True)
        written = _beside(path, _NEW if current is None else _NEXT)
        written.write_bytes(data)
        stamp = self._next_stamp()
        os.utime(written, ns=(stamp, stamp))  # a rename keeps it
        self._known.pop(key, None)
        if current is not None:
            path.unlink()
        written.rename(path)
        if current is None:
            self._changed(key)
        return self._remember(key, data, stamp)

    def delete(self, key: str) -> None:
        """Remove `key` (a missing key is no error, as in S3)."""
        self._known.pop(key, None)
        path = self.path(key)
        _beside(path, _NEXT).unlink(missing_ok=True)  # first, or it would become the object
        path.unlink(missing_ok=True)
        self._changed(key)

    def list(
        self,
        prefix: str = "",
        *,
        start_after: str = "",
        max_keys: int = 1000,
        delimiter: str | None = None,
    ) -> Listing:
        """Keys starting with `prefix`, after `start_after`, in byte order, at most `max_keys`
        entries; with a `delimiter`, keys that go on past it are rolled up into common prefixes."""
        # A page cut at a common prefix continues after every key under it.
        passed = bool(delimiter) and start_after.endswith(delimiter or "")
        encoded, keys = self._sorted_under(prefix)
        first = max(
            bisect_left(encoded, prefix.encode()), bisect_right(encoded, start_after.encode())
        )
        objects: list[StoredObject] = []
        prefixes: list[str] = []
        last = ""
        for key in keys[first:]:
            if not key.startswith(prefix):
                break  # sorted: no key after this one has the prefix
            if passed and key.startswith(start_after):
                continue
            if len(objects) + len(prefixes) >= max_keys:
                return Listing(objects, prefixes, last)
            rest = key[len(prefix) :]
            if delimiter and delimiter in rest:
                common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                if not prefixes or prefixes[-1] != common:
                    prefixes.append(common)
                last = common
            elif (found := self.head(key)) is not None:
                objects.append(found)
                last = key
        return Listing(objects, prefixes, None)

    def _sorted_under(self, prefix: str) -> tuple[_Encoded, _Keys]:
        """Every key in the folder `prefix` lies in, in byte order (and encoded, for bisecting).
        Kept until a key is created or deleted under that folder, so that reading a long
        listing page by page walks the folder once, not once a page."""
        *folders, _partial = prefix.split("/")
        start = "".join(segment + "/" for segment in folders)
        version = self._versions.get(start, 0)
        cached = self._listings.get(start)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        top = self.root.joinpath(*(_FOLDER + quote(segment, safe="") for segment in folders))
        keys = sorted(self._walk(top, start), key=str.encode)
        encoded = [key.encode() for key in keys]
        self._listings[start] = (version, encoded, keys)
        return encoded, keys

    def _changed(self, key: str) -> None:
        """A key was created or deleted: listings of every folder above it are stale."""
        folders = key.split("/")[:-1]
        for depth in range(len(folders) + 1):
            above = "".join(segment + "/" for segment in folders[:depth])
            self._versions[above] = self._versions.get(above, 0) + 1

    def _walk(self, folder: Path, above: str) -> Iterator[str]:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        names = {entry.name for entry in entries}
        for entry in entries:
            if entry.name.startswith(_FILE):
                yield above + unquote(entry.name[len(_FILE) :])
            elif entry.name.startswith(_NEXT) and _FILE + entry.name[len(_NEXT) :] not in names:
                yield above + unquote(entry.name[len(_NEXT) :])
            elif entry.name.startswith(_FOLDER) and entry.is_dir():
                yield from self._walk(Path(entry.path), above + unquote(entry.name[2:]) + "/")

    def _finished(self, key: str) -> Path:
        """The file of `key`, first finishing a new version a killed writer left complete."""
        path = self.path(key)
        if not path.exists():
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                _beside(path, _NEXT).rename(path)
        return path

    def _next_stamp(self) -> int:
        """The modification time of a write now: the wall clock in nanoseconds, and always
        later than this bucket's previous write. The file system's own clock ticks every few
        milliseconds, so writes in one tick would share a time, and Tansu takes the object
        listed with the newest LastModified under a partition's `records/` for its latest
        batch: with ties it answered ListOffsets with an old batch (see the README's quirks)."""
        self._last_write_ns = max(time.time_ns(), self._last_write_ns + 1)
        return self._last_write_ns

    def _remember(self, key: str, data: bytes, modified_ns: int) -> StoredObject:
        found = self._known[key] = StoredObject(key, _etag(data), len(data), modified_ns)
        return found
