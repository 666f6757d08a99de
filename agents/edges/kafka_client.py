"""The one place aiokafka clients are built: bootstrap, client id, TLS and SASL from KafkaSettings.

Every producer, consumer and admin client suture makes comes from `producer`, `consumer` or
`admin` here, so a secured cluster is configured once (`SUTURE_KAFKA_SECURITY_PROTOCOL`, ...).
aiokafka only logs why a TLS handshake or a SASL login failed and then raises "Unable to
bootstrap"; `connect_error` opens one connection the same way to say what really went wrong.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import AbstractTokenProvider
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, UnsupportedSaslMechanismError
from aiokafka.helpers import create_ssl_context

from core.config import KafkaSettings
from core.errors import BrokerError, ConfigError


class TokenProvider(AbstractTokenProvider):  # type: ignore[misc]
    """OAUTHBEARER tokens: a static one, or the content of a file read at each login (so an
    outside job can rotate it)."""

    def __init__(self, *, token: str | None = None, path: Path | None = None) -> None:
        if (token is None) == (path is None):
            raise ConfigError("an OAUTHBEARER token provider needs a token or a token file")
        self._token, self._path = token, path

    async def token(self) -> str:
        """The bearer token to log in with."""
        if self._token is not None:
            return self._token
        assert self._path is not None
        try:
            text = await asyncio.to_thread(self._path.read_text, encoding="utf-8")
        except OSError as error:
            raise ConfigError(
                f"cannot read kafka.sasl_oauth_token_file {str(self._path)!r}: {error}"
            ) from error
        if not text.strip():
            raise ConfigError(f"kafka.sasl_oauth_token_file {str(self._path)!r} is empty")
        return text.strip()


def tls_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context for SSL and SASL_SSL (None for plaintext); bad files fail with their key."""
    if not kafka.security_protocol.endswith("SSL"):
        return None
    for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        path: Path | None = getattr(kafka, key)
        if path is not None and not path.is_file():
            raise ConfigError(f"kafka.{key} {str(path)!r} is not a file; check the path")
    password = kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None
    try:
        context = create_ssl_context(
            cafile=None if kafka.ssl_cafile is None else str(kafka.ssl_cafile),
            certfile=None if kafka.ssl_certfile is None else str(kafka.ssl_certfile),
            keyfile=None if kafka.ssl_keyfile is None else str(kafka.ssl_keyfile),
            password=password,
        )
    except ssl.SSLError as error:
        raise ConfigError(
            f"the TLS files of kafka.ssl_* cannot be loaded: {error}; check that ssl_cafile "
            "holds PEM certificates and ssl_certfile/ssl_keyfile a matching PEM pair"
        ) from error
    context.check_hostname = kafka.ssl_check_hostname
    return cast(ssl.SSLContext, context)


def security_options(kafka: KafkaSettings) -> dict[str, Any]:
    """The TLS and SASL keyword arguments every aiokafka client takes."""
    options: dict[str, Any] = {"security_protocol": kafka.security_protocol}
    context = tls_context(kafka)
    if context is not None:
        options["ssl_context"] = context
    mechanism = kafka.sasl_mechanism
    if mechanism is None:
        return options
    options["sasl_mechanism"] = mechanism
    if mechanism == "OAUTHBEARER":
        token = kafka.sasl_oauth_token
        options["sasl_oauth_token_provider"] = TokenProvider(
            token=None if token is None else token.get_secret_value(),
            path=kafka.sasl_oauth_token_file,
        )
    else:
        assert kafka.sasl_password is not None  # KafkaSettings validated it
        options["sasl_plain_username"] = kafka.sasl_username
        options["sasl_plain_password"] = kafka.sasl_password.get_secret_value()
    return options


def client_options(kafka: KafkaSettings, bootstrap: str, role: str | None = None) -> dict[str, Any]:
    """bootstrap_servers, client_id (`<client_id>.<role>`), TLS and SASL for one client."""
    client_id = kafka.client_id
    if role is not None:
        client_id = role if role.startswith(client_id + ".") else f"{client_id}.{role}"
    return {"bootstrap_servers": bootstrap, "client_id": client_id, **security_options(kafka)}


def producer(
    kafka: KafkaSettings, bootstrap: str, role: str | None = None, **options: Any
) -> AIOKafkaProducer:
    """A producer acknowledged by all replicas; `options` go to AIOKafkaProducer as they are."""
    defaults = {"acks": "all", "request_timeout_ms": int(kafka.request_timeout_s * 1000)}
    return AIOKafkaProducer(**{**client_options(kafka, bootstrap, role), **defaults, **options})


def consumer(
    kafka: KafkaSettings,
    bootstrap: str,
    *topics: str,
    role: str | None = None,
    **options: Any,
) -> AIOKafkaConsumer:
    """A consumer (no auto-commit unless `options` say so); call it inside a running loop."""
    defaults: dict[str, Any] = {"enable_auto_commit": False, "auto_offset_reset": "earliest"}
    return AIOKafkaConsumer(
        *topics, **{**client_options(kafka, bootstrap, role), **defaults, **options}
    )


def admin(kafka: KafkaSettings, bootstrap: str) -> AIOKafkaAdminClient:
    """An admin client (topic creation and checks)."""
    return AIOKafkaAdminClient(
        **client_options(kafka, bootstrap, "admin"),
        request_timeout_ms=int(kafka.request_timeout_s * 1000),
    )


def servers(bootstrap: str) -> list[tuple[str, int]]:
    """The (host, port) of each bootstrap server; ConfigError when one is not host:port.

    >>> servers("k1:9092, [::1]:9093")
    [('k1', 9092), ('::1', 9093)]
    """
    found = []
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"kafka.bootstrap {bootstrap!r} is not host:port[,host:port]")
        found.append((host.strip("[]"), int(port)))
    return found


def _first_host(bootstrap: str) -> tuple[str, int]:
    return servers(bootstrap)[0]


async def connect_error(kafka: KafkaSettings, bootstrap: str, error: BaseException) -> BrokerError:
    """A BrokerError saying why clients cannot reach `bootstrap`: the TLS or SASL failure that
    aiokafka only logs, found by opening one connection with the same settings."""
    host, port = _first_host(bootstrap)
    options = security_options(kafka)
    where = f"{bootstrap!r} ({kafka.security_protocol}"
    where += f", SASL {kafka.sasl_mechanism})" if kafka.sasl_mechanism else ")"
    try:
        async with asyncio.timeout(kafka.request_timeout_s):
            conn = await create_conn(
                host,
                port,
                client_id=f"{kafka.client_id}.probe",
                request_timeout_ms=int(kafka.request_timeout_s * 1000),
                **options,
            )
        conn.close()
    except ssl.SSLCertVerificationError as cause:
        return BrokerError(
            f"TLS to Kafka at {where} failed: the broker's certificate is not trusted "
            f"({cause.verify_message}); set kafka.ssl_cafile to the CA that signed it"
        )
    except ssl.SSLError as cause:
        return BrokerError(f"TLS to Kafka at {where} failed: {cause}; check kafka.ssl_* settings")
    except UnsupportedSaslMechanismError as cause:
        return BrokerError(
            f"Kafka at {where} does not accept SASL mechanism {kafka.sasl_mechanism!r} "
            f"({cause}); set kafka.sasl_mechanism to one the cluster enables"
        )
    except KafkaError as cause:
        return BrokerError(f"Kafka at {where} refused the connection: {cause}; {_hint(kafka)}")
    except (OSError, TimeoutError) as cause:
        return BrokerError(
            f"cannot reach Kafka at {where}: {cause!r}; check kafka.bootstrap and that the "
            "broker is up (a TLS listener answers nothing to PLAINTEXT, and the other way round)"
        )
    return BrokerError(f"Kafka at {where} failed: {error!r}")


def _hint(kafka: KafkaSettings) -> str:
    """What to check when the broker drops a connection it accepted."""
    hints = []
    if kafka.sasl_mechanism is not None:
        hints.append("kafka.sasl_* (mechanism, user, password or token)")
    if kafka.sasl_mechanism is None and kafka.security_protocol == "SSL" and not kafka.ssl_certfile:
        hints.append(
            "whether the broker requires a client certificate (kafka.ssl_certfile, ssl_keyfile)"
        )
    elif kafka.ssl_certfile is not None:
        hints.append("that the broker trusts the CA of kafka.ssl_certfile")
    if kafka.security_protocol == "PLAINTEXT":
        hints.append("whether the listener wants TLS or SASL (kafka.security_protocol)")
    return "check " + "; ".join(hints or ["the broker's log"])
