"""SQL models as sqlglot trees: their graph, column references, rewrites, DuckDB replay."""
