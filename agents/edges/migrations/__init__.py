"""The store's schema history as Alembic revisions (versions/), run by store_migrations.py.

A schema change is a change of the tables (store_schema.py, replay_book.py, store_console.py)
plus a new revision here; `test_store_migrations.py` fails when the two disagree.
"""
