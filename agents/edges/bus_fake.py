"""InMemoryBus: the EventBus fake, recording every message exactly as Kafka would carry it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from agents.edges.kafka import Headers, Outgoing, encode_event, key_bytes


@dataclass(frozen=True)
class Published:
    """One message on a topic: key, value bytes and headers; `event` is None for raw ones."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    event: BaseModel | None = None


class InMemoryBus:
    """Records what agents publish; set `failure` to make the next publishes raise it."""

    def __init__(self) -> None:
        self.published: list[Published] = []
        self.failure: Exception | None = None

    async def publish(
        self,
        topic: str,
        event: BaseModel,
        key: str | bytes | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Record one event as the JSON Kafka would carry."""
        self._check()
        self.published.append(
            Published(topic, key_bytes(key), encode_event(event), tuple(headers or ()), event)
        )

    async def publish_raw(
        self,
        topic: str,
        value: bytes,
        key: str | bytes | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Record bytes as they are."""
        self._check()
        self.published.append(Published(topic, key_bytes(key), value, tuple(headers or ())))

    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        """Record the messages in order; all or none when `failure` is set."""
        self._check()
        for message in messages:
            if isinstance(message.event, bytes):
                await self.publish_raw(message.topic, message.event, message.key, message.headers)
            else:
                await self.publish(message.topic, message.event, message.key, message.headers)

    def on(self, topic: str) -> list[Published]:
        """Everything published to `topic`, in order."""
        return [message for message in self.published if message.topic == topic]

    def events(self, topic: str) -> list[BaseModel]:
        """The events (not raw messages) published to `topic`, in order."""
        return [m.event for m in self.on(topic) if m.event is not None]

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure
