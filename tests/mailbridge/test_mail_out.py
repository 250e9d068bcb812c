"""What the platform mails, received by a real SMTP server on loopback (aiosmtpd)."""

import email
import email.policy
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from gateways import dispatch
from mailbridge import intake, outbound, reports
from mailbridge.models import OutboundMail
from messaging import services
from messaging.models import Message, Status
from tests.mailbridge.conftest import PASSWORD, SENDER, confirm_recipients, domain, mail
from tests.workers import free_port

pytestmark = pytest.mark.django_db


class Sink:
    """An SMTP server that keeps every mail it is given."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def sink(settings):
    port = free_port()
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


def deliver_mail():
    reports.write_due()
    outbound.send_due()


def mailed(numbers, subject="Wizyta"):
    raw = mail(f"{PASSWORD}\n{','.join(numbers)}\n---\nPrzypomnienie\nEND", subject=subject)
    [request] = intake.handle(raw, envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    return request


def test_a_report_after_final_states_is_threaded_and_addressed_per_the_settings(
    sink, mail_service, simulator
):
    row = confirm_recipients(mail_service, "biuro@firma.pl")
    row.reports_to_recipients = True
    row.save()
    request = mailed(["601123456", "601123000"])  # the simulator: 000 is REJECTED
    dispatch.dispatch_batch()
    deliver_mail()
    # One mail each: the sender's and the recipient's.
    assert sorted(rcpt_tos for _from, rcpt_tos, _mail in sink.received) == [
        ["biuro@firma.pl"],
        [SENDER],
    ]
    mail_from, _rcpt_tos, report = sink.received[0]
    assert mail_from == f"box@{domain()}"
    assert report["Subject"] == "Re: Wizyta"
    assert report["In-Reply-To"] == request.mail_id == report["References"]
    assert report["Auto-Submitted"] == "auto-replied"
    lines = sorted(report.get_content().splitlines())
    assert lines[0].startswith("48601123000 REJECTED odrzucono ")
    assert lines[1].startswith("48601123456 DELIVERED doręczono ")


def test_one_sms_one_report_and_none_when_nothing_changed(sink, mail_service, simulator):
    mailed(["601123456"])
    dispatch.dispatch_batch()
    deliver_mail()
    deliver_mail()
    assert len(sink.received) == 1


def test_at_most_one_report_per_interval(sink, mail_service, settings):
    from messaging import transitions
    from messaging.transitions import Report

    settings.SMS2EMAIL_REPORT_INTERVAL = 60
    request = mailed(["601123456", "601123457"])
    first, second = request.message.recipients.order_by("id")
    transitions.apply_reports([Report(first.pk, Status.DELIVERED)])
    deliver_mail()
    transitions.apply_reports([Report(second.pk, Status.DELIVERED)])
    deliver_mail()
    assert len(sink.received) == 1  # the second waits for the interval
    reports.write_due(now=timezone.now() + timedelta(seconds=61))
    outbound.send_due()
    assert len(sink.received) == 2
    assert sink.received[1][2].get_content().startswith("48601123457 DELIVERED")


def test_an_incoming_sms_is_mailed_from_the_phone_and_the_answer_reaches_it(
    sink, mail_service, simulator
):
    confirm_recipients(mail_service, "biuro@firma.pl")
    text = "Czy będzie Pan o 15:00? Zażółć gęślą jaźń"
    services.store_incoming(mail_service.pk, "48601123456", "48500100200", text, None)
    deliver_mail()
    [(mail_from, rcpt_tos, incoming)] = sink.received
    assert mail_from == f"48601123456@{domain()}" and rcpt_tos == ["biuro@firma.pl"]
    assert text in incoming.get_content()  # UTF-8 over the wire, Polish intact
    quoted = "".join(f"> {line}\n" for line in incoming.get_content().splitlines())
    answer = f"{PASSWORD}\n---\nTak, jestem.\n\nW dniu wczoraj {mail_from} napisał(a):\n{quoted}"
    intake.handle(
        mail(answer, to=mail_from, subject=f"Re: {incoming['Subject']}"),
        envelope_sender=SENDER,
        recipients=[mail_from],
    )
    dispatch.dispatch_batch()
    message = Message.objects.get()
    assert message.text == "Tak, jestem."
    recipient = message.recipients.get()
    assert (recipient.number, recipient.status) == ("48601123456", Status.DELIVERED)


def test_with_the_smtp_server_down_the_mail_is_retried_and_delivered_once(
    sink, mail_service, settings
):
    confirm_recipients(mail_service, "biuro@firma.pl")
    services.store_incoming(mail_service.pk, "48601123456", "48500100200", "Halo", None)
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    assert outbound.send_due() == 0
    row = OutboundMail.objects.get()
    assert (row.state, row.attempts) == ("pending", 1) and "Connection" in row.last_error
    settings.EMAIL_PORT = real_port
    assert outbound.send_due() == 0  # not due yet: it waits before trying again
    OutboundMail.objects.update(due_at=timezone.now())
    assert outbound.send_due() == 1
    assert outbound.send_due() == 0
    assert len(sink.received) == 1


class CountingSink(Sink):
    """A sink that counts its SMTP sessions (one EHLO each)."""

    def __init__(self):
        super().__init__()
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.sessions += 1
        session.host_name = hostname
        return responses


def test_a_batch_of_mail_goes_out_in_one_smtp_session(sink, mail_service, settings):
    port = free_port()
    counting = CountingSink()
    controller = Controller(counting, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_PORT = port
    try:
        for n in range(3):
            outbound.queue_notice(mail_service.pk, f"biuro{n}@firma.pl", f"Notice {n}", "Body")
        assert outbound.send_due() == 3
    finally:
        controller.stop()
    assert sorted(rcpt for _from, [rcpt], _mail in counting.received) == [
        "biuro0@firma.pl",
        "biuro1@firma.pl",
        "biuro2@firma.pl",
    ]
    assert counting.sessions == 1
