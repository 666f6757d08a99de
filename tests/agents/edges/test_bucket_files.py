"""The bucket of files behind the embedded broker's object store: conditions, listings, restarts
and writers killed half-way."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agents.edges.bucket_files import FileBucket, etag_matches


def test_a_create_only_put_refuses_a_key_that_exists(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path)
    first = bucket.put("topics/t/meta.json", b"one", if_none_match="*")
    assert first is not None
    assert bucket.put("topics/t/meta.json", b"two", if_none_match="*") is None
    got = bucket.get("topics/t/meta.json")
    assert got is not None and got[1] == b"one" and got[0].etag == first.etag


def test_a_replace_only_put_needs_the_current_etag(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path)
    assert bucket.put("watermark.json", b"0", if_match='"abc"') is None  # nothing to replace
    first = bucket.put("watermark.json", b"0")
    assert first is not None
    second = bucket.put("watermark.json", b"1", if_match=first.etag)
    assert second is not None and second.etag != first.etag
    assert bucket.put("watermark.json", b"2", if_match=first.etag) is None  # a stale version
    got = bucket.get("watermark.json")
    assert got is not None and got[1] == b"1"


def test_etag_conditions_accept_lists_weak_tags_and_the_wildcard() -> None:
    assert etag_matches('"a", W/"b"', '"b"')
    assert etag_matches("*", '"z"')
    assert not etag_matches('"a"', '"b"')


def test_a_key_can_be_both_an_object_and_the_prefix_of_others(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path)
    assert bucket.put("a", b"top") is not None
    assert bucket.put("a/b", b"below") is not None
    assert bucket.put("a/b/c d%", b"odd name") is not None
    assert [o.key for o in bucket.list("a").objects] == ["a", "a/b", "a/b/c d%"]
    got = bucket.get("a/b/c d%")
    assert got is not None and got[1] == b"odd name"


def test_a_listing_is_in_byte_order_paged_and_rolled_up_at_the_delimiter(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path)
    keys = [f"records/{n:05d}.batch" for n in range(7)] + ["records/x/1", "records/x/2", "other"]
    for key in keys:
        bucket.put(key, key.encode())
    seen: list[str] = []
    after = ""
    while True:
        page = bucket.list("records/", start_after=after, max_keys=3)
        seen += [o.key for o in page.objects]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == sorted(k for k in keys if k.startswith("records/"))
    rolled = bucket.list("records/", delimiter="/", max_keys=7)
    assert [o.key for o in rolled.objects] == [f"records/{n:05d}.batch" for n in range(7)]
    assert rolled.common_prefixes == [] and rolled.next_after == "records/00006.batch"
    rest = bucket.list("records/", delimiter="/", start_after=rolled.next_after)
    assert rest.common_prefixes == ["records/x/"] and rest.objects == []
    assert bucket.list("records/", delimiter="/", start_after="records/x/").common_prefixes == []


def test_a_new_bucket_on_the_same_folder_has_every_object_with_the_same_etag(
    tmp_path: Path,
) -> None:
    before = FileBucket(tmp_path)
    stored = [before.put(f"p/{n}", bytes([n]) * n) for n in range(1, 5)]
    after = FileBucket(tmp_path)  # the server was restarted
    assert [after.head(f"p/{n}") for n in range(1, 5)] == stored
    first = stored[0]
    assert first is not None and after.put("p/1", b"new", if_match=first.etag) is not None


def test_a_version_whose_writer_died_before_renaming_it_is_the_object(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path)
    bucket.put("w.json", b"old")
    path = bucket.path("w.json")
    # The writer wrote the whole new version and removed the old one, then was killed.
    (path.parent / "i.w.json").write_bytes(b"new")
    path.unlink()
    fresh = FileBucket(tmp_path)
    assert [o.key for o in fresh.list("").objects] == ["w.json"]
    got = fresh.get("w.json")
    assert got is not None and got[1] == b"new"
    assert path.read_bytes() == b"new" and not (path.parent / "i.w.json").exists()


def test_unfinished_writes_are_not_objects(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path)
    bucket.put("w.json", b"old")
    path = bucket.path("w.json")
    (path.parent / "i.w.json").write_bytes(b"ne")  # killed while writing a new version
    (path.parent / "n.fresh.json").write_bytes(b"hal")  # killed while writing a new object
    fresh = FileBucket(tmp_path)
    assert [o.key for o in fresh.list("").objects] == ["w.json"]
    got = fresh.get("w.json")
    assert got is not None and got[1] == b"old"
    assert fresh.get("fresh.json") is None
    fresh.delete("w.json")  # the unfinished version does not come back as the object
    assert fresh.get("w.json") is None and FileBucket(tmp_path).get("w.json") is None


def test_a_listing_read_before_a_change_shows_the_change_afterwards(tmp_path: Path) -> None:
    bucket = FileBucket(tmp_path)
    bucket.put("t/p0/records/001.batch", b"1")
    bucket.put("t/p0/watermark.json", b"1")
    assert [o.key for o in bucket.list("t/p0/records/").objects] == ["t/p0/records/001.batch"]
    bucket.put("t/p0/records/000.batch", b"0")  # a new key in a folder listed before
    bucket.put("t/p1/records/000.batch", b"x")  # and one in a sibling folder
    assert [o.key for o in bucket.list("t/p0/records/").objects] == [
        "t/p0/records/000.batch",
        "t/p0/records/001.batch",
    ]
    assert len(bucket.list("t/").objects) == 4  # a listing above both folders sees both
    replaced = bucket.put("t/p0/watermark.json", b"2")
    assert replaced is not None and replaced in bucket.list("t/p0/").objects  # its new etag
    bucket.delete("t/p0/records/001.batch")
    assert [o.key for o in bucket.list("t/p0/records/").objects] == ["t/p0/records/000.batch"]
    assert [o.key for o in bucket.list("t/p0/r").objects] == ["t/p0/records/000.batch"]


def test_writes_within_one_clock_tick_are_stamped_in_the_order_they_were_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file system's clock ticks every few milliseconds; Tansu takes the batch listed with
    # the newest LastModified for a partition's latest, so writes must never share a time.
    monkeypatch.setattr(time, "time_ns", lambda: 1_700_000_000_000_000_000)
    bucket = FileBucket(tmp_path)
    keys = [f"records/{n:05d}.batch" for n in (2, 0, 1)]
    stamps = []
    for key in keys:
        stored = bucket.put(key, key.encode())
        assert stored is not None
        stamps.append(stored.modified_ns)
    replaced = bucket.put(keys[0], b"again")
    assert replaced is not None
    stamps.append(replaced.modified_ns)
    assert stamps == sorted(set(stamps)) and stamps[0] == 1_700_000_000_000_000_000
    reopened = FileBucket(tmp_path)  # the stamps are the files' own times, kept on disk
    by_time = sorted(reopened.list("records/").objects, key=lambda o: o.modified_ns)
    assert [o.key for o in by_time] == [keys[1], keys[2], keys[0]]
    assert by_time[-1].modified_ns == stamps[-1]


def test_a_bucket_follows_the_wall_clock_when_it_moves_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [5_000_000_000]
    monkeypatch.setattr(time, "time_ns", lambda: now[0])
    bucket = FileBucket(tmp_path)
    first = bucket.put("a", b"1")
    now[0] += 3_000_000_000
    second = bucket.put("b", b"2")
    assert first is not None and second is not None
    assert (first.modified_ns, second.modified_ns) == (5_000_000_000, 8_000_000_000)
    assert second.modified == 8.0
