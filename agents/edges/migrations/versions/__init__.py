"""One module per revision of the store's schema, oldest first (Alembic skips this file)."""
