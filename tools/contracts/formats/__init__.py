"""Importers of foreign schemas (JSON Schema, Avro, ODCS, datacontract.com) into Contracts."""
