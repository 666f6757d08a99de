"""`suture contracts import FILE` and `suture contracts infer TOPIC`: contracts from elsewhere.

`import` reads JSON Schema, Avro (.avsc), ODCS v3 or datacontract.com files (and suture's own
YAML) and prints or writes suture's contract YAML. `infer` samples a topic's newest events and
writes a DRAFT contract for a human to review.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from agents.edges.topic_sample import sample_topic
from core.config import load_settings
from core.errors import ConfigError, ContractError
from tools.contracts.importer import FORMATS, import_contract
from tools.contracts.infer import draft_header, infer_contract
from tools.contracts.yaml_text import contract_yaml


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `contracts` command and its import / infer sub-commands."""
    parser = subparsers.add_parser(
        "contracts", help="import contracts from other formats, or infer a draft from a topic"
    )
    actions = parser.add_subparsers(dest="action", required=True)
    importer = actions.add_parser(
        "import", help="convert a JSON Schema, Avro, ODCS or datacontract.com file"
    )
    importer.add_argument("file", type=Path, help="the schema or contract file")
    importer.add_argument("--format", choices=FORMATS, default="auto", help="default: detect")
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
    """Print (or write) the suture YAML of an imported contract file."""
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
    bootstrap = args.bootstrap or load_settings().kafka.bootstrap
    if not bootstrap:
        raise ConfigError("say where Kafka is: --bootstrap HOST:PORT or SUTURE_KAFKA_BOOTSTRAP")
    sample = asyncio.run(
        sample_topic(bootstrap, args.topic, limit=args.samples, timeout_s=args.timeout)
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


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {str(output)!r}: {error}; check the path") from error
    print(f"wrote {output}", file=sys.stderr)
