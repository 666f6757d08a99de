"""I/O adapters, each beside its fake."""
