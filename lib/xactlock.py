"""A lock on a name, held until the transaction ends (PostgreSQL advisory locks).

For work that must run one at a time per key (two sends with one client id, two
deliveries of one mail) without a row to lock, and without holding up any other
key. SQLite needs none: it runs one writing transaction at a time.
"""

from django.db import connection


def hold(name: str) -> None:
    """Wait for, then hold, the lock ``name`` until the current transaction ends."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
