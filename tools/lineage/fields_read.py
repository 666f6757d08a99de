"""fields_read: the fields of a topic the models read, declared or inside a declared object."""

from __future__ import annotations

from core.contracts import Contract
from tools.lineage.graph import LineageGraph


def fields_read(contract: Contract, graph: LineageGraph) -> frozenset[str]:
    """The contract's fields some model reads, and the undeclared fields the models read inside
    an object the contract declares open (`payload.salary` of `payload: object`).

    A contract may declare an object without its fields; a model reading one of them depends on
    it all the same, and a change that moves it must be answered like one of a declared field.
    """
    dataset = contract.dataset
    declared = {f.name for f in contract.fields if graph.models_affected_by(dataset, f.name)}
    objects = tuple(f"{f.name}." for f in contract.fields if f.type == "object")
    columns = {node.removeprefix(f"{dataset}.") for node in graph.columns_of(dataset)}
    inside = {c for c in columns if c.startswith(objects) and contract.field(c) is None}
    return frozenset(declared | inside)
