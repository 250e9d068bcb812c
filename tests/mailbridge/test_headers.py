"""What intake reads of a mail's headers: one From: address, read strictly, and a
Subject on one line."""

import pytest
from django.core import mail as outbox

from mailbridge import intake, replies
from mailbridge.models import InboundMail, Outcome, ReplyState
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail

pytestmark = pytest.mark.django_db


def handle(raw, envelope=SENDER):
    return intake.handle(raw, envelope_sender=envelope, recipients=[f"box@{domain()}"])


def only_row():
    return InboundMail.objects.get()


def sent_replies():
    replies.send_due()
    return list(outbox.outbox)


@pytest.mark.parametrize(
    "from_header",
    [
        f"{SENDER} <attacker@evil.com>",
        f"{SENDER})<attacker@evil.com>",
        f"{SENDER}, attacker@evil.com",
        f"Jan <{SENDER}>, <attacker@evil.com>",
        f"Jan <{SENDER}",
        "",
    ],
)
def test_a_malformed_from_is_dropped_and_never_answered(mail_service, from_header):
    raw = mail(f"{PASSWORD}\n601123456\n---\nHej")
    raw = raw.replace(f"From: Jan Kowalski <{SENDER}>".encode(), f"From: {from_header}".encode())
    handle(raw, envelope="attacker@evil.com")
    row = only_row()
    assert (row.outcome, row.reason, row.service) == (Outcome.DROPPED, "bad_from", None)
    assert Message.objects.count() == 0 and sent_replies() == []


def test_two_from_headers_are_dropped(mail_service):
    raw = b"From: attacker@evil.com\r\n" + mail(f"{PASSWORD}\n601123456\n---\nHej")
    handle(raw)
    assert only_row().reason == "bad_from"
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    "from_header",
    [
        SENDER,
        f"<{SENDER}>",
        f'"Kowalski, Jan" <{SENDER}>',
        f"=?utf-8?q?Jan_Ko=C5=82odziej?= <{SENDER}>",
        f"{SENDER} (Jan Kowalski)",
        f"Jan K. Kowalski <{SENDER.upper()}>",
        f"Jan (Firma) <{SENDER}>",
        f"Jan (Firma (IT)) <{SENDER}>",
        f"< {SENDER} >",
        f"{SENDER} <{SENDER}>",  # not RFC 5322, but what hand-written scripts send
    ],
)
def test_the_usual_from_spellings_are_read(mail_service, from_header):
    raw = mail(f"{PASSWORD}\n601123456\n---\nHej")
    raw = raw.replace(f"From: Jan Kowalski <{SENDER}>".encode(), f"From: {from_header}".encode())
    handle(raw)
    assert only_row().outcome == Outcome.SENT


def test_a_line_break_in_the_subject_is_folded_and_the_reply_goes_out(mail_service):
    raw = mail("zle\n601123456\n---\nHej", subject="x")
    raw = raw.replace(
        b"Subject: x", b"Subject: =?utf-8?q?Zam=C3=B3wienie=0D=0ABcc:_ofiara@example.com?="
    )
    handle(raw)
    row = only_row()
    assert row.subject == "Zamówienie Bcc: ofiara@example.com"
    [reply] = sent_replies()
    assert reply.subject == "Re: Zamówienie Bcc: ofiara@example.com"
    assert reply.bcc == [] and only_row().reply_state == ReplyState.SENT


def test_the_report_to_such_a_mail_goes_out_too(mail_service):
    from mailbridge import outbound, reports
    from messaging import transitions
    from messaging.models import Status

    raw = mail(f"{PASSWORD}\n601123456\n---\nHej", subject="x")
    raw = raw.replace(b"Subject: x", b"Subject: =?utf-8?q?Wizyta=0D=0ABcc:_ofiara@example.com?=")
    [request] = handle(raw)
    [recipient] = request.message.recipients.all()
    transitions.apply_reports([transitions.Report(recipient.pk, Status.DELIVERED)])
    reports.write_due()
    assert outbound.send_due() == 1
    [report] = outbox.outbox
    assert report.subject == "Re: Wizyta Bcc: ofiara@example.com" and report.bcc == []
