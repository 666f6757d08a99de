"""Configuration changes in the audit log: the settings in force, recorded when they change."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agents.edges.store import Store
from core.records import AuditEntry

ACTION = "config.change"


def settings_record(settings: BaseModel) -> dict[str, Any]:
    """The settings as JSON, every secret masked (SecretStr dumps as asterisks)."""
    return settings.model_dump(mode="json")


async def record_configuration(store: Store, settings: BaseModel, *, by: str = "operator") -> bool:
    """Append the settings to the audit log if they differ from the last recorded; True if so."""
    current = settings_record(settings)
    recent = await store.list_audit(limit=500)
    last = next((entry for entry in recent if entry.action == ACTION), None)
    if last is not None and last.detail == current:
        return False
    await store.append_audit(
        AuditEntry(actor=by, role="admin", action=ACTION, subject="settings", detail=current)
    )
    return True
