"""A small S3-compatible server over one bucket of files: where the embedded broker keeps its log.

Tansu 0.6 offers memory and S3 storage only (its PostgreSQL engine is not compiled into the
shipped binary, and it refuses file://), so the durable embedded broker runs this beside it, on
loopback, and points `--storage-engine s3://<bucket>/` at it. It serves what Tansu's storage
(the `object_store` crate) sends: path-style GET, HEAD, PUT, DELETE of objects with their
conditions (`If-None-Match: *` creates only, `If-Match: <etag>` replaces only that version;
both answer 412 when they fail), single byte ranges, and ListObjectsV2 (prefix, delimiter,
start-after, continuation, max-keys; LastModified to the nanosecond, where S3 gives seconds,
because Tansu takes the newest batch by it). Anything else (multipart uploads, copies, other
buckets) answers 501 or 404 and is logged, so a Tansu that starts using it fails loudly.

A request must carry the access key the server was started with (its signature is not checked:
the server listens on loopback only, with a key made for one run).

Run: `python -m agents.edges.s3_server --root DIR --bucket NAME --port N`, with the access key
in the environment variable ACCESS_KEY_VARIABLE.
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import logging
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote
from xml.sax.saxutils import escape

import uvicorn

from agents.edges.bucket_files import FileBucket, Listing, StoredObject, etag_matches

logger = logging.getLogger(__name__)

ACCESS_KEY_VARIABLE = "SUTURE_S3_ACCESS_KEY"
MAX_BODY = 256 * 1024 * 1024
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


class _Reply:
    """One HTTP answer."""

    def __init__(self, status: int, body: bytes = b"", headers: Headers | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or []


def _error(status: int, code: str, message: str) -> _Reply:
    xml = f"<Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
    return _Reply(status, xml.encode(), [(b"content-type", b"application/xml")])


def _object_headers(found: StoredObject) -> Headers:
    return [
        (b"etag", found.etag.encode()),
        (b"last-modified", email.utils.formatdate(found.modified, usegmt=True).encode()),
        (b"accept-ranges", b"bytes"),
    ]


def listing_time(nanoseconds: int) -> str:
    """A listing's LastModified, to the nanosecond (S3 itself gives whole seconds): Tansu orders
    a partition's batches by it, so batches written within one second must not tie."""
    seconds, fraction = divmod(nanoseconds, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def _listing_xml(name: str, prefix: str, listing: Listing, max_keys: int, url: bool) -> bytes:
    def key(text: str) -> str:
        return escape(quote(text, safe="/") if url else text)

    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        f"<Name>{escape(name)}</Name><Prefix>{key(prefix)}</Prefix>",
        f"<KeyCount>{len(listing.objects) + len(listing.common_prefixes)}</KeyCount>",
        f"<MaxKeys>{max_keys}</MaxKeys>",
        f"<IsTruncated>{'true' if listing.next_after else 'false'}</IsTruncated>",
    ]
    if url:
        parts.append("<EncodingType>url</EncodingType>")
    if listing.next_after is not None:
        token = base64.urlsafe_b64encode(listing.next_after.encode()).decode()
        parts.append(f"<NextContinuationToken>{token}</NextContinuationToken>")
    parts += [
        f"<Contents><Key>{key(found.key)}</Key><LastModified>{listing_time(found.modified_ns)}"
        f"</LastModified><ETag>{escape(found.etag)}</ETag><Size>{found.size}</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        for found in listing.objects
    ]
    parts += [
        f"<CommonPrefixes><Prefix>{key(common)}</Prefix></CommonPrefixes>"
        for common in listing.common_prefixes
    ]
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range within `size`, or None when unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first_text, _, last_text = spec.strip().partition("-")
    try:
        if not first_text:
            first, last = max(size - int(last_text), 0), size - 1
        else:
            first = int(first_text)
            last = min(int(last_text), size - 1) if last_text else size - 1
    except ValueError:
        return None
    return (first, last) if 0 <= first <= last else None


def _date(header: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return None


class S3Server:
    """The ASGI application serving one `FileBucket` as bucket `name`."""

    def __init__(self, bucket: FileBucket, name: str, access_key: str) -> None:
        self.bucket, self.name, self.access_key = bucket, name, access_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = await _body(receive)
        reply = self.handle(scope["method"], scope["path"], scope["query_string"], headers, body)
        if reply.status >= 500:
            logger.warning("answered %s %s with %d", scope["method"], scope["path"], reply.status)
        # A HEAD answer tells the length of the body a GET would get, and sends none.
        length = [(b"content-length", str(len(reply.body)).encode())]
        start = {"type": "http.response.start", "status": reply.status}
        await send(start | {"headers": length + reply.headers})
        head = scope["method"] == "HEAD"
        await send({"type": "http.response.body", "body": b"" if head else reply.body})

    def handle(
        self, method: str, path: str, query: bytes, headers: dict[str, str], body: bytes | None
    ) -> _Reply:
        """The answer to one request (`body` None: it was larger than MAX_BODY)."""
        if f"Credential={self.access_key}/" not in headers.get("authorization", ""):
            return _error(403, "AccessDenied", "unknown or missing access key")
        bucket, _, key = path.lstrip("/").partition("/")
        if bucket != self.name:
            return _error(404, "NoSuchBucket", f"this server holds only bucket {self.name!r}")
        params = {k: v[-1] for k, v in parse_qs(query.decode(), keep_blank_values=True).items()}
        if body is None:
            return _error(400, "EntityTooLarge", f"bodies are limited to {MAX_BODY} bytes")
        if not key:
            return self._bucket(method, params)
        if (
            params.keys() & {"uploads", "uploadId", "tagging", "acl"}
            or "x-amz-copy-source" in headers
        ):
            return _error(501, "NotImplemented", f"{method} with {sorted(params)} is not served")
        if method == "PUT":
            return self._put(key, headers, body)
        if method in ("GET", "HEAD"):
            return self._get(key, headers)
        if method == "DELETE":
            self.bucket.delete(key)
            return _Reply(204)
        return _error(501, "NotImplemented", f"{method} on an object is not served")

    def _bucket(self, method: str, params: dict[str, str]) -> _Reply:
        if method in ("HEAD", "PUT"):
            return _Reply(200)  # it exists; creating it again is no error
        if method != "GET" or params.get("list-type") != "2":
            return _error(501, "NotImplemented", "only ListObjectsV2 is served on the bucket")
        prefix = params.get("prefix", "")
        try:
            max_keys = max(0, min(int(params.get("max-keys", "1000")), 1000))
        except ValueError:
            return _error(400, "InvalidArgument", "max-keys must be a number")
        after = params.get("start-after", "")
        if token := params.get("continuation-token"):
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except ValueError:
                return _error(400, "InvalidArgument", "bad continuation-token")
        listing = self.bucket.list(
            prefix, start_after=after, max_keys=max_keys, delimiter=params.get("delimiter") or None
        )
        url = params.get("encoding-type") == "url"
        xml = _listing_xml(self.name, prefix, listing, max_keys, url)
        return _Reply(200, xml, [(b"content-type", b"application/xml")])

    def _put(self, key: str, headers: dict[str, str], body: bytes) -> _Reply:
        stored = self.bucket.put(
            key,
            body,
            if_match=headers.get("if-match"),
            if_none_match=headers.get("if-none-match"),
        )
        if stored is None:
            return _error(412, "PreconditionFailed", f"a condition on {key!r} does not hold")
        return _Reply(200, b"", [(b"etag", stored.etag.encode())])

    def _get(self, key: str, headers: dict[str, str]) -> _Reply:
        got = self.bucket.get(key)
        if got is None:
            return _error(404, "NoSuchKey", f"no object {key!r}")
        found, data = got
        if (failed := _failed_condition(found, headers)) is not None:
            return failed
        head = _object_headers(found)
        if (wanted := headers.get("range")) is None:
            return _Reply(200, data, head)
        span = _byte_range(wanted, len(data))
        if span is None:
            return _error(416, "InvalidRange", f"range {wanted!r} of {len(data)} bytes")
        first, last = span
        head.append((b"content-range", f"bytes {first}-{last}/{len(data)}".encode()))
        return _Reply(206, data[first : last + 1], head)


def _failed_condition(found: StoredObject, headers: dict[str, str]) -> _Reply | None:
    """The answer when a read's If-* conditions fail (RFC 9110 order), else None."""
    if (wanted := headers.get("if-match")) is not None and not etag_matches(wanted, found.etag):
        return _error(412, "PreconditionFailed", "If-Match does not hold")
    since = _date(headers.get("if-unmodified-since", ""))
    if wanted is None and since is not None and int(found.modified) > since:
        return _error(412, "PreconditionFailed", "If-Unmodified-Since does not hold")
    if (unwanted := headers.get("if-none-match")) is not None:
        if etag_matches(unwanted, found.etag):
            return _Reply(304, b"", [(b"etag", found.etag.encode())])
        return None
    since = _date(headers.get("if-modified-since", ""))
    if since is not None and int(found.modified) <= since:
        return _Reply(304, b"", [(b"etag", found.etag.encode())])
    return None


async def _body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks) if size <= MAX_BODY else None


def main(argv: list[str] | None = None) -> None:
    """Serve a bucket until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="folder holding the bucket")
    parser.add_argument("--bucket", required=True, help="the bucket's name")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    access_key = os.environ.get(ACCESS_KEY_VARIABLE)
    if not access_key:
        parser.error(f"set {ACCESS_KEY_VARIABLE} to the access key clients will use")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = S3Server(FileBucket(args.root / args.bucket), args.bucket, access_key)
    logger.info("serving bucket %r from %s on %s:%d", args.bucket, args.root, args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
