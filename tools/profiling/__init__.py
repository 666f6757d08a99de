"""Profiles of micro-batches: one columnar pass over raw events, mergeable per field."""
