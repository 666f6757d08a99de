"""The embedded broker's object store: the S3 requests Tansu sends, answered as S3 does, over a
real process that keeps its objects through a SIGKILL."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from agents.edges.bucket_files import FileBucket
from agents.edges.object_store_process import BUCKET, ObjectStoreProcess
from agents.edges.s3_server import S3Server, listing_time

KEY = "test-key"
AUTH = {"authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20260101/us-east-1/s3/aws4_request"}


@pytest.fixture
def server(tmp_path: Path) -> S3Server:
    return S3Server(FileBucket(tmp_path), "tansu", KEY)


def _etag(server: S3Server, key: str) -> str:
    reply = server.handle("HEAD", f"/tansu/{key}", b"", AUTH, b"")
    return dict(reply.headers)[b"etag"].decode()


def test_refuses_a_request_without_its_access_key(server: S3Server) -> None:
    reply = server.handle("GET", "/tansu/a", b"", {"authorization": "Credential=other/x"}, b"")
    assert reply.status == 403 and b"AccessDenied" in reply.body


def test_serves_only_its_own_bucket(server: S3Server) -> None:
    assert server.handle("GET", "/elsewhere/a", b"", AUTH, b"").status == 404
    assert server.handle("HEAD", "/tansu", b"", AUTH, b"").status == 200


def test_conditional_puts_answer_412_when_their_condition_fails(server: S3Server) -> None:
    create = AUTH | {"if-none-match": "*"}
    assert server.handle("PUT", "/tansu/meta.json", b"", create, b"v1").status == 200
    assert server.handle("PUT", "/tansu/meta.json", b"", create, b"v2").status == 412
    first = _etag(server, "meta.json")
    update = AUTH | {"if-match": first}
    assert server.handle("PUT", "/tansu/meta.json", b"", update, b"v2").status == 200
    assert server.handle("PUT", "/tansu/meta.json", b"", update, b"v3").status == 412
    got = server.handle("GET", "/tansu/meta.json", b"", AUTH, b"")
    assert got.status == 200 and got.body == b"v2"


def test_conditional_reads_and_ranges(server: S3Server) -> None:
    server.handle("PUT", "/tansu/batch", b"", AUTH, b"0123456789")
    etag = _etag(server, "batch")
    assert (
        server.handle("GET", "/tansu/batch", b"", AUTH | {"if-none-match": etag}, b"").status == 304
    )
    assert server.handle("GET", "/tansu/batch", b"", AUTH | {"if-match": '"x"'}, b"").status == 412
    part = server.handle("GET", "/tansu/batch", b"", AUTH | {"range": "bytes=2-4"}, b"")
    assert part.status == 206 and part.body == b"234"
    assert dict(part.headers)[b"content-range"] == b"bytes 2-4/10"
    tail = server.handle("GET", "/tansu/batch", b"", AUTH | {"range": "bytes=-3"}, b"")
    assert tail.body == b"789"
    assert (
        server.handle("GET", "/tansu/batch", b"", AUTH | {"range": "bytes=20-"}, b"").status == 416
    )
    missing = server.handle("GET", "/tansu/nothing", b"", AUTH, b"")
    assert missing.status == 404 and b"NoSuchKey" in missing.body


def test_list_objects_v2_pages_with_a_continuation_token(server: S3Server) -> None:
    for n in range(5):
        server.handle("PUT", f"/tansu/records/{n:03d}.batch", b"", AUTH, b"x" * n)
    server.handle("PUT", "/tansu/other", b"", AUTH, b"")
    keys: list[str] = []
    query = b"list-type=2&prefix=records%2F&max-keys=2"
    while True:
        reply = server.handle("GET", "/tansu", query, AUTH, b"")
        assert reply.status == 200
        text = reply.body.decode()
        keys += re.findall(r"<Key>([^<]+)</Key>", text)
        token = re.search(r"<NextContinuationToken>([^<]+)<", text)
        if token is None:
            assert "<IsTruncated>false</IsTruncated>" in text
            break
        query = (
            b"list-type=2&prefix=records%2F&max-keys=2&continuation-token="
            + token.group(1).encode()
        )
    assert keys == [f"records/{n:03d}.batch" for n in range(5)]


def test_what_tansu_does_not_send_is_refused_loudly(server: S3Server) -> None:
    multipart = server.handle("POST", "/tansu/big", b"uploads=", AUTH, b"")
    copy = server.handle("PUT", "/tansu/to", b"", AUTH | {"x-amz-copy-source": "/tansu/from"}, b"")
    listing_v1 = server.handle("GET", "/tansu", b"prefix=a", AUTH, b"")
    assert [r.status for r in (multipart, copy, listing_v1)] == [501, 501, 501]


def test_the_server_process_keeps_its_objects_through_a_sigkill(tmp_path: Path) -> None:
    store = ObjectStoreProcess(tmp_path)
    store.spawn()
    try:
        assert store.wait_ready()
        endpoint = store.tansu_environment()["AWS_ENDPOINT"]
        auth = {"authorization": f"AWS4-HMAC-SHA256 Credential={store.access_key}/x"}
        url = f"{endpoint}/{BUCKET}/clusters/c/meta.json"
        put = httpx.put(url, content=b"kept", headers=auth | {"if-none-match": "*"})
        assert put.status_code == 200
        assert (
            httpx.put(url, content=b"lost", headers=auth | {"if-none-match": "*"}).status_code
            == 412
        )
        assert httpx.get(url).status_code == 403
        store.kill()
        store.spawn()
        assert store.wait_ready()
        endpoint = store.tansu_environment()["AWS_ENDPOINT"]
        auth = {"authorization": f"AWS4-HMAC-SHA256 Credential={store.access_key}/x"}
        got = httpx.get(f"{endpoint}/{BUCKET}/clusters/c/meta.json", headers=auth)
        assert got.status_code == 200 and got.content == b"kept"
        assert got.headers["etag"] == put.headers["etag"]
        head = httpx.head(f"{endpoint}/{BUCKET}/clusters/c/meta.json", headers=auth)
        assert head.headers["content-length"] == "4" and head.content == b""
    finally:
        store.stop()
    assert not store.running and not store.pid_path.exists()


def test_a_listing_tells_when_each_object_was_written_to_the_nanosecond(
    server: S3Server,
) -> None:
    # Tansu answers a partition's latest offset from the batch listed with the newest
    # LastModified: batches written within one second (S3's own resolution) must not tie.
    for n in (3, 1, 2):
        server.handle("PUT", f"/tansu/records/{n:03d}.batch", b"", AUTH, b"x")
    reply = server.handle("GET", "/tansu", b"list-type=2&prefix=records%2F", AUTH, b"")
    pairs = re.findall(r"<Key>([^<]+)</Key><LastModified>([^<]+)<", reply.body.decode())
    assert [key for key, _ in pairs] == [f"records/{n:03d}.batch" for n in (1, 2, 3)]
    times = [moment for _, moment in pairs]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", t) for t in times)
    written = sorted(pairs, key=lambda pair: pair[1])  # the format sorts as text
    assert [key for key, _ in written] == [f"records/{n:03d}.batch" for n in (3, 1, 2)]


def test_listing_times_are_utc_with_nine_fraction_digits() -> None:
    assert listing_time(1_700_000_000_000_000_007) == "2023-11-14T22:13:20.000000007Z"
    assert listing_time(86_400_123_000_000) == "1970-01-02T00:00:00.123000000Z"
