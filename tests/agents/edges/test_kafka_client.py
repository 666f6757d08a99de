"""kafka_client: settings for secured clusters become the right aiokafka arguments, and bad
settings fail at start with the key and the reason."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from agents.edges import kafka_client
from agents.edges.kafka_client import TokenProvider
from core.config import KafkaSettings, load_settings
from core.errors import ConfigError
from tests.fixtures.tls import Pki


def test_plaintext_clients_get_bootstrap_and_client_id_only() -> None:
    options = kafka_client.client_options(KafkaSettings(client_id="shop"), "h:9092", "healer")
    assert options == {
        "bootstrap_servers": "h:9092",
        "client_id": "shop.healer",
        "security_protocol": "PLAINTEXT",
    }


def test_a_role_that_already_carries_the_client_id_is_not_prefixed_twice() -> None:
    options = kafka_client.client_options(KafkaSettings(), "h:1", "suture.healer")
    assert options["client_id"] == "suture.healer"


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_password_mechanisms_pass_user_and_password(mechanism: str) -> None:
    kafka = KafkaSettings.model_validate(
        {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": mechanism,
            "sasl_username": "svc-suture",
            "sasl_password": "s3cret",
        }
    )
    options = kafka_client.security_options(kafka)
    assert options["sasl_mechanism"] == mechanism
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "svc-suture",
        "s3cret",
    )
    assert "s3cret" not in repr(kafka)  # a SecretStr until the client needs it


async def test_oauthbearer_reads_a_static_token() -> None:
    kafka = KafkaSettings.model_validate(
        {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "OAUTHBEARER",
            "sasl_oauth_token": "eyJ.static",
        }
    )
    provider = kafka_client.security_options(kafka)["sasl_oauth_token_provider"]
    assert await provider.token() == "eyJ.static"


async def test_oauthbearer_rereads_a_token_file_so_it_can_be_rotated(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n", encoding="utf-8")
    provider = TokenProvider(path=token)
    assert await provider.token() == "first"
    token.write_text("second", encoding="utf-8")
    assert await provider.token() == "second"
    token.write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is empty"):
        await provider.token()


def test_tls_context_verifies_against_the_ca_and_loads_the_client_pair(pki: Pki) -> None:
    kafka = KafkaSettings(
        security_protocol="SSL",
        ssl_cafile=pki.ca,
        ssl_certfile=pki.client_cert,
        ssl_keyfile=pki.client_key,
    )
    context = kafka_client.tls_context(kafka)
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "suture test CA"),),)
    ]
    loose = kafka.model_copy(update={"ssl_check_hostname": False})
    assert kafka_client.tls_context(loose).check_hostname is False  # type: ignore[union-attr]


def test_a_missing_tls_file_is_named_by_its_key(tmp_path: Path) -> None:
    kafka = KafkaSettings(security_protocol="SSL", ssl_cafile=tmp_path / "nowhere.pem")
    with pytest.raises(ConfigError, match=r"kafka.ssl_cafile .*nowhere.pem.* is not a file"):
        kafka_client.tls_context(kafka)


def test_a_file_that_is_no_certificate_fails_clearly(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be loaded"):
        kafka_client.tls_context(
            KafkaSettings(
                security_protocol="SASL_SSL",
                ssl_cafile=bogus,
                sasl_mechanism="PLAIN",
                sasl_username="u",
                sasl_password="p",
            )
        )


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"security_protocol": "SASL_SSL"}, "needs sasl_mechanism"),
        ({"sasl_mechanism": "PLAIN"}, "needs security_protocol SASL_SSL"),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512"},
            "needs sasl_username and sasl_password",
        ),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER"},
            "exactly one of sasl_oauth_token and sasl_oauth_token_file",
        ),
        ({"ssl_cafile": "ca.pem"}, "ssl_cafile need security_protocol SSL"),
        ({"security_protocol": "SSL", "ssl_keyfile": "k.pem"}, "without ssl_certfile"),
        ({"security_protocol": "TLS"}, "security_protocol"),
    ],
)
def test_incomplete_security_settings_fail_at_start(values: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        load_settings(kafka=values)


def test_secured_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    env = {
        "SUTURE_KAFKA_BOOTSTRAP": "kafka-1:9093,kafka-2:9093",
        "SUTURE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "SUTURE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
        "SUTURE_KAFKA_SASL_USERNAME": "svc",
        "SUTURE_KAFKA_SASL_PASSWORD": "pw",
        "SUTURE_KAFKA_SSL_CAFILE": str(pki.ca),
        "SUTURE_KAFKA_CLIENT_ID": "suture-prod",
        "SUTURE_KAFKA_CREATE_TOPICS": "false",
        "SUTURE_KAFKA_TOPICS": '{"suture.alerts": {"partitions": 3, "replication_factor": 3}}',
        "SUTURE_LAG_TOPICS": '["orders", "payments"]',
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    kafka = settings.kafka
    assert (kafka.security_protocol, kafka.sasl_mechanism, kafka.create_topics) == (
        "SASL_SSL",
        "SCRAM-SHA-256",
        False,
    )
    assert kafka.topic_settings("suture.alerts").partitions == 3
    assert kafka.topic_settings("orders").replication_factor == 1  # the default
    assert settings.lag.topics == ("orders", "payments")
    options = kafka_client.client_options(kafka, kafka.bootstrap or "", "healer")
    assert options["client_id"] == "suture-prod.healer"
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_a_bootstrap_that_is_no_address_is_refused() -> None:
    with pytest.raises(ConfigError, match="is not host:port"):
        kafka_client._first_host("kafka-without-port")
