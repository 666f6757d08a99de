"""Schema Registry edge: Confluent wire-format messages decoded into the JSON events monitors see.

A framed message is a magic byte, the writer's schema id (or GUID), and the payload: Avro,
Protobuf (with its message indexes) or JSON Schema. Framing is read with Confluent's own
`SchemaId`, schemas come from Confluent's registry client (`mock://` URLs keep subjects in
process), Avro and JSON Schema payloads are decoded by Confluent's deserializers, and Protobuf
payloads by the message class built from the writer's schema. Each becomes the same JSON object
a JSON producer would have sent. On topics listed as framed, a plain message is an error; on
other topics plain JSON passes through. The schemas of two ids are compared (suture's verdict)
and the registry is asked for its own compatibility verdict.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import orjson
from confluent_kafka.schema_registry import RegisteredSchema, Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.common.protobuf import _init_pool, _str_to_proto
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor
from google.protobuf.descriptor_pool import DescriptorPool
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass

from agents.edges.registry_values import json_default, message_dict
from core.config import RegistrySettings
from core.contracts import Contract
from core.errors import BrokerError, ConfigError, ContractError
from core.models import DeclaredRename, SchemaChange
from core.ports import DecodedRecord, SchemaChangeReport
from tools.contracts.formats.avro import avro_contract
from tools.contracts.formats.json_schema import json_schema_contract
from tools.contracts.formats.protobuf import protobuf_contract, protobuf_field_numbers
from tools.contracts.schema_diff import (
    avro_declared_renames,
    diff_contracts,
    protobuf_declared_renames,
)

_MAGIC = (0, 1)
_TOPIC_STRATEGY = {"subject.name.strategy.type": "TOPIC"}
_ERRORS = (SchemaRegistryError, SerializationError, DecodeError, ValueError, KeyError, EOFError)


def open_registry(settings: RegistrySettings) -> SchemaRegistryClient | None:
    """Confluent's registry client for `settings.url` (None when no registry is configured)."""
    if not settings.url:
        return None
    conf: dict[str, Any] = {"url": settings.url, "max.retries": settings.max_retries}
    if settings.basic_auth is not None:
        conf["basic.auth.user.info"] = settings.basic_auth.get_secret_value()
    if settings.ssl_cafile is not None:
        conf["ssl.ca.location"] = str(settings.ssl_cafile)
    try:
        return SchemaRegistryClient.new_client(conf)
    except (ValueError, TypeError) as error:
        raise ConfigError(
            f"registry settings are not usable: {error}; check registry.url"
        ) from error


def subject_for(topic: str) -> str:
    """The value subject of a topic under the default TopicNameStrategy."""
    return f"{topic}-value"


class RegistryDecoder:
    """The `RecordDecoder` port on a Schema Registry: decodes framed values into JSON bytes."""

    def __init__(self, client: SchemaRegistryClient, *, framed_topics: Iterable[str] = ()) -> None:
        self.client = client
        self.framed_topics = frozenset(framed_topics)
        self._schemas: dict[int | str, Schema] = {}
        self._protobuf: dict[
            int | str, tuple[descriptor_pb2.FileDescriptorProto, DescriptorPool]
        ] = {}
        self._avro = AvroDeserializer(client, conf=_TOPIC_STRATEGY)
        self._json = JSONDeserializer(None, schema_registry_client=client, conf=_TOPIC_STRATEGY)

    async def decode(self, topic: str, values: Sequence[bytes]) -> list[DecodedRecord]:
        """Each value as a JSON object's bytes, or the reason it cannot be read."""
        return await asyncio.to_thread(lambda: [self.decode_one(topic, v) for v in values])

    def decode_one(self, topic: str, value: bytes) -> DecodedRecord:
        """One value (blocking: the first sight of a schema id asks the registry)."""
        if len(value) < 5 or value[0] not in _MAGIC:
            if topic in self.framed_topics:
                first = f"0x{value[0]:02x}" if value else "nothing"
                return DecodedRecord(
                    error=f"not in the Schema Registry wire format (magic byte 0 and a schema "
                    f"id); it starts with {first}: topic {topic!r} is listed in registry.topics"
                )
            return DecodedRecord(value=value)
        try:
            header = SchemaId("AVRO")
            header.from_bytes(io.BytesIO(value))
            key: int | str = header.id if header.id is not None else str(header.guid)
            schema = self._schema(key)
        except _ERRORS as error:
            return DecodedRecord(error=f"the writer's schema cannot be fetched: {error}")
        try:
            event = self._payload(topic, value, key, schema)
            return DecodedRecord(
                value=orjson.dumps(event, default=json_default),
                schema_id=key if isinstance(key, int) else None,
            )
        except (*_ERRORS, TypeError, orjson.JSONEncodeError) as error:
            return DecodedRecord(
                error=f"a {schema.schema_type} message of schema {key} cannot be decoded: {error}",
                schema_id=key if isinstance(key, int) else None,
            )

    def _schema(self, key: int | str) -> Schema:
        if key not in self._schemas:
            try:
                if isinstance(key, int):
                    schema = self.client.get_schema(key)
                    if schema.schema_type == "PROTOBUF":
                        schema = self.client.get_schema(key, fmt="serialized")
                else:
                    schema = self.client.get_schema_by_guid(key, fmt="serialized")
            except SchemaRegistryError as error:
                raise SchemaRegistryError(
                    error.http_status_code,
                    error.error_code,
                    f"schema {key} is unknown to the registry ({error.error_message})",
                ) from error
            except Exception as error:  # transport errors of the HTTP layer share no base
                raise BrokerError(
                    f"the Schema Registry cannot be reached: {type(error).__name__}: {error}; "
                    "check registry.url; the monitor stops with nothing committed, so nothing "
                    "is skipped"
                ) from error
            self._schemas[key] = schema
        return self._schemas[key]

    def _payload(self, topic: str, value: bytes, key: int | str, schema: Schema) -> object:
        context = SerializationContext(topic, MessageField.VALUE)
        kind = schema.schema_type or "AVRO"
        if kind == "AVRO":
            event: object = self._avro(value, context)
        elif kind == "JSON":
            event = self._json(value, context)
        else:
            header = SchemaId("PROTOBUF")
            payload = header.from_bytes(io.BytesIO(value))
            message = GetMessageClass(
                self._descriptor(key, schema, header.message_indexes or [0])
            )()
            message.ParseFromString(payload.read())
            event = message_dict(message)
        if not isinstance(event, dict):
            raise ValueError(f"the message holds a {type(event).__name__}, not a record")
        return event

    def _descriptor(self, key: int | str, schema: Schema, indexes: Sequence[int]) -> Descriptor:
        if key not in self._protobuf:
            pool = DescriptorPool()
            _init_pool(pool)
            file = _str_to_proto(f"schema-{key}.proto", schema.schema_str or "")
            pool.Add(file)
            self._protobuf[key] = (file, pool)
        file, pool = self._protobuf[key]
        found: Any = pool.FindFileByName(file.name).message_types_by_name[
            file.message_type[indexes[0]].name
        ]
        for index in indexes[1:]:
            found = found.nested_types[index]
        return cast(Descriptor, found)

    async def schema_change(self, topic: str, old_id: int, new_id: int) -> SchemaChangeReport:
        """Compare the schemas of two ids seen on `topic` and ask the registry about them."""
        return await asyncio.to_thread(self._schema_change, topic, old_id, new_id)

    def _schema_change(self, topic: str, old_id: int, new_id: int) -> SchemaChangeReport:
        subject = subject_for(topic)
        old, new = self._schema(old_id), self._schema(new_id)
        kind = new.schema_type or "AVRO"
        try:
            renames = self._renames(kind, old, new)
            diff = diff_contracts(
                self.contract_of(old, topic), self.contract_of(new, topic), renames
            )
            verdict, reasons, detections = diff.verdict, list(diff.reasons), diff.detections
        except (ContractError, *_ERRORS) as error:
            # Schemas suture cannot read as contracts (a union of records, say): say so.
            renames, verdict, detections = [], "unknown", ()
            reasons = [f"the two schemas cannot be compared: {error}"]
        old_version, new_version = self._version(subject, old), self._version(subject, new)
        registry, detail = self._registry_verdict(subject, new, old_version)
        change = SchemaChange(
            subject=subject,
            schema_type=cast(Any, kind),
            old_schema_id=old_id,
            new_schema_id=new_id,
            old_version=old_version,
            new_version=new_version,
            declared_renames=renames,
            verdict=cast(Any, verdict),
            reasons=reasons,
            registry_verdict=cast(Any, registry),
            registry_detail=detail,
        )
        return SchemaChangeReport(change=change, detections=detections)

    def contract_of(self, schema: Schema, dataset: str, source: str | None = None) -> Contract:
        """The suture contract a registered schema describes."""
        kind = schema.schema_type or "AVRO"
        where = source or f"registry schema of {dataset!r}"
        if kind == "PROTOBUF":
            return protobuf_contract(_file(schema), where, dataset=dataset)
        try:
            document = json.loads(schema.schema_str or "")
        except json.JSONDecodeError as error:
            raise ContractError(f"{where} is not JSON: {error}") from error
        if kind == "JSON":
            return json_schema_contract(document, where, dataset=dataset)
        return avro_contract(document, where, dataset=dataset)

    def _renames(self, kind: str, old: Schema, new: Schema) -> list[DeclaredRename]:
        if kind == "AVRO":
            before, after = json.loads(old.schema_str or "{}"), json.loads(new.schema_str or "{}")
            if isinstance(before, Mapping) and isinstance(after, Mapping):
                return avro_declared_renames(before, after)
        if kind == "PROTOBUF":
            return protobuf_declared_renames(
                protobuf_field_numbers(_file(old)), protobuf_field_numbers(_file(new))
            )
        return []

    def _version(self, subject: str, schema: Schema) -> int | None:
        try:
            found: RegisteredSchema = self.client.lookup_schema(subject, schema)
        except _ERRORS:
            return None
        return found.version

    def _registry_verdict(
        self, subject: str, schema: Schema, old_version: int | None
    ) -> tuple[str, str]:
        if old_version is None:
            return "unknown", f"the old schema is not a version of {subject!r}"
        try:
            ok = self.client.test_compatibility(subject, schema, version=old_version)
        except Exception as error:  # any failure to ask is reported, never fatal
            return "unknown", f"the registry could not be asked: {type(error).__name__}: {error}"
        return ("compatible" if ok else "incompatible"), f"checked against version {old_version}"


def _file(schema: Schema) -> descriptor_pb2.FileDescriptorProto:
    return _str_to_proto("schema.proto", schema.schema_str or "")


def subject_contract(
    client: SchemaRegistryClient,
    subject: str,
    *,
    version: int | str = "latest",
    dataset: str | None = None,
) -> tuple[Contract, RegisteredSchema]:
    """The contract of one version of a registry subject, and that registered version.

    The dataset defaults to the subject without its `-value` suffix (TopicNameStrategy).
    """
    try:
        if version == "latest":
            found = client.get_latest_version(subject)
        else:
            found = client.get_version(subject, int(version))
        if found.schema.schema_type == "PROTOBUF":
            found = client.get_version(subject, found.version or "latest", fmt="serialized")
    except SchemaRegistryError as error:
        raise ContractError(
            f"subject {subject!r} (version {version}) cannot be read from the registry: "
            f"{error.error_message} (HTTP {error.http_status_code}); check the subject name, "
            "the version and --registry"
        ) from error
    except ValueError as error:
        raise ContractError(f"version {version!r} is neither a number nor 'latest'") from error
    except Exception as error:  # the HTTP layer's transport errors have no common base
        raise ConfigError(
            f"the registry cannot be reached for subject {subject!r}: {type(error).__name__}: "
            f"{error}; check --registry (or registry.url)"
        ) from error
    name = dataset or subject.removesuffix("-value")
    where = f"{subject} version {found.version}"
    return RegistryDecoder(client).contract_of(found.schema, name, where), found
