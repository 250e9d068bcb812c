"""The statements the hot paths cost, pinned so that they cannot creep back: a
single-recipient API send (warm: the credentials and the allowlist cached; the STOP
lists read inside the send's one statement) and a
dispatch batch whatever its size (an easy-mode mail: tests/mailbridge/
test_mail_statements.py). On
PostgreSQL, where the hot paths run their one-statement forms."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gateways import dispatch
from messaging import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def statements(queries) -> list[str]:
    return [q["sql"].split()[0].upper() for q in queries.captured_queries]


def test_a_single_api_send_costs_one_statement_once_warm(api, api_service):
    assert api("gateway/", to_list="600123456", message="Warm-up").json()["error"] == "OK"
    with CaptureQueriesContext(connection) as queries:
        answer = api("gateway/", to_list="600123457", message="Hej").json()
    assert answer["error"] == "OK"
    # The send itself: one statement reading the STOP lists, charging and storing the
    # message, its ledger entry and its recipient; credentials and allowlist come from
    # the cache.
    assert statements(queries) == ["WITH"], [q["sql"][:80] for q in queries.captured_queries]


def test_a_dispatch_batch_costs_the_same_for_one_or_many(api_service, simulator):
    counts = {}
    for size in (1, 50):
        numbers = [f"48600{100000 + n}" for n in range(size)]
        services.submit(api_service.pk, services.SendRequest(recipients=numbers, text="x"))
        with CaptureQueriesContext(connection) as queries:
            assert dispatch.dispatch_batch() == size
        counts[size] = len(queries)
    # Statements, savepoints of the test's transaction included.
    assert counts[1] == counts[50] <= 20, counts
