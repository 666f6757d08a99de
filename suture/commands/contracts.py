"""`suture contracts import FILE` and `suture contracts infer TOPIC`: contracts from elsewhere.

`import` reads JSON Schema, Avro (.avsc), ODCS v3 or datacontract.com files (and suture's own
YAML) and prints or writes suture's contract YAML. `infer` samples a topic's newest events and
writes a DRAFT contract for a human to review.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import ConfigError, ContractError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `contracts` command and its import / infer sub-commands."""
    parser = subparsers.add_parser(
        "contracts", help="import contracts from other formats, or infer a draft from a topic"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    importer = actions.add_parser(
        "import",
        help="convert a JSON Schema, Avro, ODCS or datacontract.com file, or a registry subject",
    )
    importer.add_argument("file", type=Path, nargs="?", help="the schema or contract file")
    importer.add_argument(
        "--subject", help="take the contract from this Schema Registry subject instead"
    )
    importer.add_argument("--registry", help="registry URL (default: SUTURE_REGISTRY_URL)")
    importer.add_argument("--version", default="latest", help="subject version (default: latest)")
    importer.add_argument(
        "--format",
        choices=("auto", "json-schema", "avro", "odcs", "suture"),  # the importer's FORMATS
        default="auto",
        help="default: detect",
    )
    importer.add_argument(
        "--dataset", help="the topic name (default: the file stem, or the only model/schema)"
    )
    importer.add_argument("-o", "--output", type=Path, help="write the YAML here (default: stdout)")
    importer.set_defaults(handler=run_import)
    inferrer = actions.add_parser("infer", help="a DRAFT contract from a topic's newest events")
    inferrer.add_argument("topic", help="the Kafka topic to sample")
    inferrer.add_argument("--bootstrap", help="host:port (default: SUTURE_KAFKA_BOOTSTRAP)")
    inferrer.add_argument("--samples", type=int, default=500, help="events to read (default 500)")
    inferrer.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to read for (default 10)"
    )
    inferrer.add_argument("-o", "--output", type=Path, help="write the YAML here (default: stdout)")
    inferrer.set_defaults(handler=run_infer)


def run_import(args: argparse.Namespace) -> int:
    """Print (or write) the suture YAML of an imported contract file or registry subject."""
    if args.subject is not None:
        return _import_subject(args)
    if args.file is None:
        raise ConfigError("say what to import: a FILE, or --subject NAME --registry URL")
    from tools.contracts.importer import import_contract
    from tools.contracts.yaml_text import contract_yaml

    path: Path = args.file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContractError(f"cannot read {str(path)!r}: {error}; check the path") from error
    contract = import_contract(text, str(path), format=args.format, dataset=args.dataset)
    header = f"Imported by `suture contracts import` from {path.name}."
    _emit(contract_yaml(contract, header), args.output)
    return 0


def run_infer(args: argparse.Namespace) -> int:
    """Sample a topic and print (or write) a DRAFT contract for it."""
    import asyncio

    from agents.edges.topic_sample import sample_topic  # aiokafka: only when sampling
    from core.config import load_settings
    from tools.contracts.infer import draft_header, infer_contract
    from tools.contracts.yaml_text import contract_yaml

    kafka = load_settings().kafka
    bootstrap = args.bootstrap or kafka.bootstrap
    if not bootstrap:
        raise ConfigError("say where Kafka is: --bootstrap HOST:PORT or SUTURE_KAFKA_BOOTSTRAP")
    sample = asyncio.run(
        sample_topic(bootstrap, args.topic, limit=args.samples, timeout_s=args.timeout, kafka=kafka)
    )
    if not sample.records:
        raise ConfigError(
            f"topic {args.topic!r} gave no events within {args.timeout:g} s; "
            "produce some first, or raise --timeout"
        )
    draft = infer_contract([r.value for r in sample.records], args.topic)
    where = f"topic {args.topic!r} ({sample.partitions} partition(s))"
    if not sample.complete:
        where += ", read only partly before the timeout"
    _emit(contract_yaml(draft.contract, draft_header(draft, where)), args.output)
    return 0


def _import_subject(args: argparse.Namespace) -> int:
    from agents.edges.schema_registry import open_registry, subject_contract
    from core.config import load_settings
    from tools.contracts.yaml_text import contract_yaml

    if args.file is not None:
        raise ConfigError("give a FILE or --subject, not both")
    registry = load_settings().registry
    if args.registry:
        registry = registry.model_copy(update={"url": args.registry})
    client = open_registry(registry)
    if client is None:
        raise ConfigError("say where the registry is: --registry URL or SUTURE_REGISTRY_URL")
    contract, found = subject_contract(
        client, args.subject, version=args.version, dataset=args.dataset
    )
    header = (
        f"Imported by `suture contracts import` from registry subject {args.subject} "
        f"version {found.version} (schema id {found.schema_id}, {found.schema.schema_type})."
    )
    _emit(contract_yaml(contract, header), args.output)
    return 0


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {str(output)!r}: {error}; check the path") from error
    print(f"wrote {output}", file=sys.stderr)
