"""Django's PostgreSQL backend with a cheaper health check (the settings' ENGINE).

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first query of every
request: one more round trip per API send, a third of a web worker's time under load.
What it is for is a connection the server has closed (PostgreSQL restarted, the
backend terminated): the server then says so on the socket, which becomes readable
while the connection is idle. So a request asks the socket first, without a round
trip (``poll`` with no wait), and pays for ``SELECT 1`` only when the socket has
something to say or the connection has not been checked for
``DB_FULL_CHECK_SECONDS`` (a connection cut without a word, by a network fault).
A connection found broken is closed and the request opens a new one, as before.
"""

import select
import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    checked_at = 0.0

    def connect(self):
        super().connect()
        self.checked_at = time.monotonic()

    def close_if_health_check_failed(self):
        if (
            self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
            or self.pool
        ):
            return super().close_if_health_check_failed()
        now = time.monotonic()
        if not self.socket_has_news() and now - self.checked_at < settings.DB_FULL_CHECK_SECONDS:
            self.health_check_done = True
            return None
        self.checked_at = now
        return super().close_if_health_check_failed()

    def socket_has_news(self) -> bool:
        """Whether the idle connection's socket is readable (the server closed it, or
        sent a notice), or is gone: then only ``SELECT 1`` can tell."""
        try:
            poller = select.poll()
            poller.register(self.connection.pgconn.socket, select.POLLIN)
            return bool(poller.poll(0))
        except Exception:  # noqa: BLE001 — no socket to ask: a closed or broken connection
            return True
