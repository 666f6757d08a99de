"""Column lineage: one engine for scripts and pipelines, answers, OpenLineage export."""
