"""Delivery reports by mail (seed 000 §4.2), driven by the status changes themselves."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail as outbox
from django.utils import timezone

from mailbridge import intake, outbound, reports
from mailbridge.models import InboundMail, OutboundMail, ReportLine
from messaging import services, transitions
from messaging.models import Status
from messaging.transitions import Report
from tests.mailbridge.conftest import PASSWORD, SENDER, confirm_recipients, domain, mail

pytestmark = pytest.mark.django_db

DELIVERED_AT = datetime(2026, 12, 1, 14, 2, 11, tzinfo=UTC)  # 15:02:11 in Warsaw


def mailed(numbers=("601123456", "601123457"), subject="Zamówienie 17"):
    raw = mail(f"{PASSWORD}\n{','.join(numbers)}\n---\nTest\nEND", subject=subject)
    [request] = intake.handle(raw, envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    return request


def recipients(request):
    return {r.number: r.pk for r in request.message.recipients.all()}


def report(request, number, status, at=DELIVERED_AT):
    transitions.apply_reports([Report(recipients(request)[number], status, at)])


def sent_reports():
    reports.write_due()
    outbound.send_due()
    return [m for m in outbox.outbox if m.subject.startswith("Re:")]


def test_one_report_covers_the_mails_sms_one_machine_readable_line_each(mail_service):
    request = mailed()
    report(request, "48601123456", Status.DELIVERED)
    report(request, "48601123457", Status.REJECTED)
    [sent] = sent_reports()
    assert sent.subject == "Re: Zamówienie 17"
    assert sent.from_email == f"box@{domain()}"
    assert sent.to == [SENDER]
    assert sent.extra_headers["In-Reply-To"] == request.mail_id
    assert sent.extra_headers["References"] == request.mail_id
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
    lines = sent.body.splitlines()
    assert lines[0] == "48601123456 DELIVERED doręczono 2026-12-01 15:02:11"
    assert lines[1].startswith("48601123457 REJECTED odrzucono ")
    assert len(lines) == 2


def test_a_request_of_one_sms_gets_exactly_one_report_when_it_is_final(mail_service, simulator):
    request = mailed(numbers=("601123456",))
    transitions.mark_queued(simulator.pk, [(recipients(request)["48601123456"], "gw-1")])
    assert sent_reports() == []  # queued is not an outcome
    report(request, "48601123456", Status.DELIVERED)
    assert len(sent_reports()) == 1
    report(request, "48601123456", Status.DELIVERED)  # a repeated report changes nothing
    assert len(sent_reports()) == 1
    assert ReportLine.objects.count() == 0


def test_at_most_one_report_per_interval_and_none_when_nothing_changed(mail_service, settings):
    settings.SMS2EMAIL_REPORT_INTERVAL = 900
    request = mailed()
    report(request, "48601123456", Status.DELIVERED)
    assert len(sent_reports()) == 1
    report(request, "48601123457", Status.EXPIRED)
    assert reports.write_due() == 0  # within 15 minutes of the last report
    later = timezone.now() + timedelta(seconds=901)
    assert reports.write_due(now=later) == 1
    assert reports.write_due(now=later + timedelta(hours=1)) == 0  # nothing new since
    body = OutboundMail.objects.order_by("-id").first().body
    assert body.startswith("48601123457 EXPIRED wygasł ")


def test_reports_go_to_the_recipients_when_asked_and_not_to_the_sender(mail_service):
    row = confirm_recipients(mail_service, "biuro@firma.pl")
    row.reports_to_sender = False
    row.reports_to_recipients = True
    row.save()
    request = mailed(numbers=("601123456",))
    report(request, "48601123456", Status.DELIVERED)
    [sent] = sent_reports()
    assert sent.to == ["biuro@firma.pl"]


def test_with_both_report_settings_off_nothing_is_sent(mail_service):
    row = mail_service.sms2email
    row.reports_to_sender = False
    row.save()
    request = mailed(numbers=("601123456",))
    report(request, "48601123456", Status.DELIVERED)
    assert sent_reports() == []
    assert ReportLine.objects.count() == 0


def test_a_cancelled_scheduled_request_is_reported_as_cancelled(mail_service):
    request = mailed(numbers=("601123456",))
    services.cancel(mail_service.pk, request.message_id)
    [sent] = sent_reports()
    assert sent.body.startswith("48601123456 CANCELLED anulowano ")


def test_api_sends_write_no_report_lines(api_service):
    message = services.submit(
        api_service.pk, services.SendRequest(recipients=["601123456"], text="API")
    ).message
    transitions.apply_reports([Report(message.recipients.get().pk, Status.DELIVERED)])
    assert ReportLine.objects.count() == 0
    assert InboundMail.objects.count() == 0


def test_many_reports_are_written_in_one_go_within_the_hourly_limit(
    mail_service, settings, django_assert_max_num_queries
):
    settings.SMS2EMAIL_MAIL_PER_HOUR = 3
    requests = [mailed(numbers=(f"60112345{n}",), subject=f"Zamówienie {n}") for n in range(5)]
    for n, request in enumerate(requests):
        report(request, f"4860112345{n}", Status.DELIVERED)
    # One transaction for the five, the hourly limit counted once: not a round per report.
    with django_assert_max_num_queries(12):
        assert reports.write_due() == 5
    states = sorted(OutboundMail.objects.values_list("state", flat=True))
    assert states == ["limited", "limited", "pending", "pending", "pending"]
    assert not ReportLine.objects.exists()
    assert reports.write_due() == 0
    assert len(sent_reports()) == 3
