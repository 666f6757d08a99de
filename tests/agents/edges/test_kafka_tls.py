"""Secured Kafka: real produce and consume through TLS (CA check, client certificate), and the
clear errors of a wrong CA, a missing client certificate or a plaintext client."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from agents.edges import kafka_client
from agents.edges.broker import ensure_topics
from agents.edges.kafka import KafkaBus
from core.config import KafkaSettings
from core.errors import BrokerError
from core.models import DeadLetter
from tests.fixtures.tls import TlsBroker

pytestmark = pytest.mark.kafka


def _tls(broker: TlsBroker, **changes: object) -> KafkaSettings:
    values: dict[str, object] = {
        "bootstrap": broker.bootstrap,
        "security_protocol": "SSL",
        "ssl_cafile": broker.pki.ca,
        "ssl_certfile": broker.pki.client_cert,
        "ssl_keyfile": broker.pki.client_key,
        "request_timeout_s": 5.0,
    }
    return KafkaSettings.model_validate({**values, **changes})


async def test_produces_and_consumes_through_tls_with_a_client_certificate(
    tls_broker: TlsBroker,
) -> None:
    kafka = _tls(tls_broker)
    topic = f"secured.{uuid.uuid4().hex[:8]}"
    await ensure_topics(tls_broker.bootstrap, [topic], kafka=kafka)
    letter = DeadLetter(topic="x", value="payload", reason="test", error_type="Test")
    async with KafkaBus(tls_broker.bootstrap, kafka=kafka) as bus:
        await bus.publish(topic, letter, key="k")
    reader = kafka_client.consumer(kafka, tls_broker.bootstrap, topic, role="test")
    try:
        async with asyncio.timeout(20):
            await reader.start()
            record = await reader.getone()
    finally:
        await reader.stop()
    assert DeadLetter.model_validate_json(record.value or b"") == letter
    assert record.key == b"k"
    assert tls_broker.proxy.handshakes >= 2  # every connection, metadata's too, went through TLS


async def test_an_untrusted_broker_certificate_fails_naming_the_ca_setting(
    tls_broker: TlsBroker,
) -> None:
    kafka = _tls(tls_broker, ssl_cafile=tls_broker.pki.other_ca)
    with pytest.raises(BrokerError, match=r"certificate is not trusted .*set kafka.ssl_cafile"):
        await KafkaBus(tls_broker.bootstrap, request_timeout_s=5, kafka=kafka).start()


async def test_a_missing_client_certificate_fails_clearly(tls_broker: TlsBroker) -> None:
    kafka = _tls(tls_broker, ssl_certfile=None, ssl_keyfile=None)
    with pytest.raises(BrokerError) as caught:
        await KafkaBus(tls_broker.bootstrap, request_timeout_s=5, kafka=kafka).start()
    assert "requires a client certificate (kafka.ssl_certfile" in str(caught.value)


async def test_a_plaintext_client_on_a_tls_listener_fails_clearly(tls_broker: TlsBroker) -> None:
    kafka = KafkaSettings(bootstrap=tls_broker.bootstrap, request_timeout_s=3)
    with pytest.raises(BrokerError) as caught:
        await KafkaBus(tls_broker.bootstrap, request_timeout_s=3, kafka=kafka).start()
    assert "(PLAINTEXT)" in str(caught.value)
    assert "wants TLS or SASL (kafka.security_protocol)" in str(caught.value)


async def test_locked_down_cluster_names_the_missing_topics(tls_broker: TlsBroker) -> None:
    kafka = _tls(tls_broker)
    present, absent = f"present.{uuid.uuid4().hex[:8]}", f"absent.{uuid.uuid4().hex[:8]}"
    await ensure_topics(tls_broker.bootstrap, [present], kafka=kafka)
    locked = kafka.model_copy(update={"create_topics": False})
    await ensure_topics(tls_broker.bootstrap, [present], kafka=locked)  # all there: fine
    with pytest.raises(BrokerError, match=rf"create_topics is off .*\['{absent}'\]"):
        await ensure_topics(tls_broker.bootstrap, [present, absent], kafka=locked)


def _sasl(broker: TlsBroker, **changes: object) -> KafkaSettings:
    values: dict[str, object] = {
        "bootstrap": broker.bootstrap,
        "security_protocol": "SASL_SSL",
        "ssl_cafile": broker.pki.ca,
        "sasl_mechanism": "PLAIN",
        "sasl_username": "svc-suture",
        "sasl_password": "s3cret",
        "request_timeout_s": 5.0,
    }
    return KafkaSettings.model_validate({**values, **changes})


async def _round_trip(kafka: KafkaSettings, bootstrap: str) -> bytes | None:
    topic = f"sasl.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], kafka=kafka)
    producer = kafka_client.producer(kafka, bootstrap, "test")
    reader = kafka_client.consumer(kafka, bootstrap, topic, role="test")
    try:
        async with asyncio.timeout(20):
            await producer.start()
            await producer.send_and_wait(topic, b"over SASL_SSL")
            await reader.start()
            return (await reader.getone()).value
    finally:
        await producer.stop()
        await reader.stop()


async def test_sasl_plain_over_tls_logs_in_and_moves_messages(sasl_broker: TlsBroker) -> None:
    assert await _round_trip(_sasl(sasl_broker), sasl_broker.bootstrap) == b"over SASL_SSL"
    assert set(sasl_broker.proxy.logins) == {"PLAIN"}


async def test_oauthbearer_logs_in_with_the_token_file(
    sasl_broker: TlsBroker, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("eyJ.test-token\n", encoding="utf-8")
    kafka = _sasl(
        sasl_broker,
        sasl_mechanism="OAUTHBEARER",
        sasl_username=None,
        sasl_password=None,
        sasl_oauth_token_file=token,
    )
    assert await _round_trip(kafka, sasl_broker.bootstrap) == b"over SASL_SSL"
    assert set(sasl_broker.proxy.logins) == {"OAUTHBEARER"}


async def test_a_wrong_password_fails_naming_the_sasl_settings(sasl_broker: TlsBroker) -> None:
    kafka = _sasl(sasl_broker, sasl_password="wrong")
    with pytest.raises(BrokerError) as caught:
        await KafkaBus(sasl_broker.bootstrap, request_timeout_s=5, kafka=kafka).start()
    message = str(caught.value)
    assert "(SASL_SSL, SASL PLAIN) refused the connection" in message
    assert "Authentication failed: invalid credentials" in message
    assert "check kafka.sasl_*" in message
    assert "wrong" not in message  # never the secret


async def test_a_mechanism_the_broker_lacks_is_named(sasl_broker: TlsBroker) -> None:
    kafka = _sasl(sasl_broker, sasl_mechanism="SCRAM-SHA-512")
    with pytest.raises(
        BrokerError,
        match=r"does not accept SASL mechanism 'SCRAM-SHA-512' .*set kafka.sasl_mechanism",
    ):
        await KafkaBus(sasl_broker.bootstrap, request_timeout_s=5, kafka=kafka).start()
