"""The bus the agents publish through: Kafka, with every dead letter and incident kept in the
store as well (the console lists them), and each event announced to whoever listens."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from agents.edges.announce import Announcer
from agents.edges.kafka import KafkaBus, Outgoing
from agents.edges.store import Store
from core.models import DeadLetter, IncidentEscalated


class StoringBus:
    """Publishes through Kafka and keeps every dead letter and incident in the store too."""

    def __init__(self, bus: KafkaBus, store: Store, announcer: Announcer | None = None) -> None:
        self._bus, self._store, self._announcer = bus, store, announcer

    async def publish_all(self, messages: Sequence[Outgoing]) -> None:
        for message in messages:
            if isinstance(message.event, DeadLetter):
                await self._store.save_dead_letter(message.event)
            elif isinstance(message.event, IncidentEscalated):
                await self._store.save_incident(message.event)
        await self._bus.publish_all(messages)
        if self._announcer is not None:
            for message in messages:
                if isinstance(message.event, BaseModel):
                    await self._announcer.announce(message.event)
