"""Whether a database error means "the database cannot serve now" rather than a bug.

A connection refused or lost (PostgreSQL restarting, stopped, its disk full) is an
OperationalError or InterfaceError. A database that answers but takes no writes (a replica
promoted late, ``default_transaction_read_only``) fails a write with SQLSTATE 25006,
read_only_sql_transaction, which drivers report as an InternalError. The doors answer all
of these with their "try again" (the API's SERVICE_UNAVAILABLE, SMSC's error 9, a 503
page); any other database error is a bug and stays one.
"""

from django.db import DatabaseError, InterfaceError, OperationalError

READ_ONLY_TRANSACTION = "25006"


def unavailable(error: BaseException) -> bool:
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return (
        isinstance(error, DatabaseError)
        and getattr(error.__cause__, "sqlstate", None) == READ_ONLY_TRANSACTION
    )
