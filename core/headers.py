"""The Kafka header names suture writes on the messages it publishes, in one place."""

from __future__ import annotations

REASON = "suture-reason"  # why a message was dead-lettered or quarantined
ERROR_TYPE = "suture-error-type"  # the error class behind a dead letter
ATTEMPTS = "suture-attempts"  # how many times the handler tried before giving up
POLICY = "suture-policy"  # the contract's on_violation for a quarantined copy
SOURCE_TOPIC = "suture-source-topic"  # where the original message sits
SOURCE_PARTITION = "suture-source-partition"
SOURCE_OFFSET = "suture-source-offset"
REPLAY_OF = "suture-replay-of"  # "<partition>:<offset>" in the quarantine topic
FIX = "suture-fix"  # the proposal whose fix released a replayed event
