"""What an easy-mode mail costs the bridge in statements, pinned so that it cannot creep
back (tests/test_query_counts.py pins the API's send and a dispatch batch)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mailbridge import intake
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_an_easy_mode_mail_costs_a_handful_of_statements(mail_service, simulator):
    raw = mail(f"{PASSWORD}\n601123456\n---\nTest\nEND", subject="Zamówienie")
    with CaptureQueriesContext(connection) as queries:
        [request] = intake.handle(raw, envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    assert request.message is not None
    # The sender; the mail's lock and, in one query, whether it was handled before and
    # what its other deliveries sent; the service's quiet hours; the content rules; the
    # send (one statement, the STOP lists read in it); the log row: savepoints of the
    # test's transaction included.
    assert len(queries) <= 9, [q["sql"][:60] for q in queries.captured_queries]
    work = [
        q["sql"].split(None, 1)[0].upper()
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert work[-2:] == ["WITH", "INSERT"], "the send, then the log row: the balance lock's last"
