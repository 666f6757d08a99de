"""Every record suture publishes fits the broker: what is too large is kept once as a blob and
travels as a dead letter that carries its reference, its size and a preview.

Kafka refuses records over the producer's `max.request.size` and the topic's
`max.message.bytes` (both 1 MiB by default), and one refused record used to stop the loop that
published it. Here an oversized dead letter keeps its reason and shrinks its payload to a
preview; an oversized quarantine copy or event becomes a dead letter on the same topic's
dead-letter topic, so nothing is lost and nothing stops.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

from agents.edges.kafka import Destinations, Outgoing, Publisher
from core.errors import RecordTooLargeError
from core.models import DeadLetter, HeldEvent

logger = logging.getLogger(__name__)


class Blobs(Protocol):
    """Where oversized payloads are kept (FileBlobs)."""

    def put(self, data: bytes) -> str:
        """Keep `data` and return its reference."""
        ...

    def get(self, ref: str) -> bytes:
        """The bytes kept under `ref`."""
        ...


def original_payload(letter: DeadLetter, blobs: Blobs) -> bytes:
    """The exact bytes a dead letter stands for: from its blob when it carries only a preview,
    else its value (decoded when it is base64)."""
    return letter.payload() if letter.payload_ref is None else blobs.get(letter.payload_ref)


@dataclass(frozen=True)
class RecordLimits:
    """How large a record may be, and how much of an oversized payload its preview keeps."""

    max_bytes: int = 900_000  # under Kafka's 1 MiB defaults, with room for batch overhead
    preview_chars: int = 2_000
    fallback_bytes: int = 100_000  # when the broker still refuses: its topic limit is lower


def record_size(message: Outgoing) -> int:
    """Bytes the record takes: value, key and headers."""
    headers = sum(len(name) + len(value) for name, value in message.headers)
    return len(message.value) + len(message.key or b"") + headers


def _preview(letter: DeadLetter, raw: bytes, ref: str, limits: RecordLimits) -> DeadLetter:
    text = raw[: limits.preview_chars * 4].decode("utf-8", errors="replace")[: limits.preview_chars]
    return letter.model_copy(
        update={
            "reason": letter.reason[:2_000],
            "value": text,
            "encoding": "utf-8",
            "payload_ref": ref,
            "payload_bytes": len(raw),
        }
    )


def _letter_for(message: Outgoing, raw: bytes, destinations: Destinations) -> DeadLetter:
    """The dead letter that stands for an oversized event or quarantine copy."""
    event = message.event
    if isinstance(event, BaseModel) and not isinstance(event, HeldEvent):
        kind = type(event).__name__
        topic = message.topic
    else:  # raw bytes: a quarantine copy or a replay, published beside its dataset
        kind = "held event"
        topic = _source_topic(message.topic, destinations)
    return DeadLetter(
        topic=topic,
        key=None if message.key is None else message.key.decode("utf-8", errors="replace"),
        value="",
        reason=(
            f"a {kind} of {len(raw)} bytes for {message.topic!r} is over the record size limit; "
            "it is kept whole at payload_ref"
        ),
        error_type="RecordTooLargeError",
    )


def _source_topic(topic: str, destinations: Destinations) -> str:
    for suffix in (destinations.quarantine_suffix, destinations.replay_suffix):
        if topic.endswith(suffix):
            return topic.removesuffix(suffix)
    return topic


def bound(
    messages: Sequence[Outgoing],
    blobs: Blobs,
    destinations: Destinations,
    limits: RecordLimits = RecordLimits(),
    max_bytes: int | None = None,
) -> list[Outgoing]:
    """`messages`, each one within `max_bytes` (default `limits.max_bytes`)."""
    cap = max_bytes or limits.max_bytes
    out: list[Outgoing] = []
    for message in messages:
        if record_size(message) <= cap:
            out.append(message)
            continue
        event = message.event
        if isinstance(event, DeadLetter):
            raw = event.payload()
            letter = _preview(event, raw, event.payload_ref or blobs.put(raw), limits)
            if event.payload_ref is not None:  # already a preview: keep the original size
                letter = letter.model_copy(update={"payload_bytes": event.payload_bytes})
            headers = tuple((n, v[:1_000]) for n, v in message.headers)
        else:
            raw = message.value
            letter = _preview(_letter_for(message, raw, destinations), raw, blobs.put(raw), limits)
            headers = ()
        logger.warning(
            "record for %r is %d bytes, over %d: published as a dead letter, payload kept at %s",
            message.topic,
            record_size(message),
            cap,
            letter.payload_ref,
        )
        out.append(Outgoing(destinations.topic_for(letter), letter, message.key, headers))
    return out


class BoundedPublisher:
    """A Publisher that never sends a record the broker would refuse for its size."""

    def __init__(
        self,
        inner: Publisher,
        blobs: Blobs,
        destinations: Destinations,
        limits: RecordLimits = RecordLimits(),
    ) -> None:
        self._inner, self._blobs, self._to, self._limits = inner, blobs, destinations, limits

    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        """Publish `messages`, oversized ones as dead letters with their payload kept aside."""
        bounded = bound(messages, self._blobs, self._to, self._limits)
        try:
            await self._inner.publish_all(bounded)
        except RecordTooLargeError:
            # The topic's own max.message.bytes is lower than ours: shrink to the fallback.
            smaller = bound(
                bounded, self._blobs, self._to, self._limits, self._limits.fallback_bytes
            )
            await self._inner.publish_all(smaller)
