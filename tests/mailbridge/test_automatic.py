"""Automatic mail (RFC 3834) is never answered, through either door: bounces and
auto-replies are dropped, other automatic mail is handled in silence.

Each mail below carries a wrong password, so a mail taken for a person's request
would be refused and answered: the answer is what must never happen.
"""

import io
import sys

import pytest
from django.core import mail as outbox
from django.core.management import call_command

from mailbridge import replies
from mailbridge.models import InboundMail, Outcome, ReplyState
from messaging.models import Message
from tests.mailbridge.conftest import SENDER, domain, mail, smtp

BODY = "zle-haslo\n601123456\n---\nJestem na urlopie do poniedziałku"

# (name, envelope sender, extra headers): each one an auto-reply or a bounce.
DROPPED = [
    ("null reverse path", "", {}),
    ("mailer-daemon", "MAILER-DAEMON@firma.pl", {}),
    ("auto-replied with a comment", SENDER, {"Auto-Submitted": "auto-replied (vacation)"}),
    ("auto-notified with a parameter", SENDER, {"Auto-Submitted": "auto-notified; owner=x"}),
    ("two Auto-Submitted headers", SENDER, {"Auto-Submitted": ["no", "auto-replied"]}),
    ("X-Autoreply", SENDER, {"X-Autoreply": "yes"}),
    ("X-Autorespond", SENDER, {"X-Autorespond": "Jestem na urlopie"}),
    ("Precedence auto_reply", SENDER, {"Precedence": "auto_reply"}),
    ("Precedence junk", SENDER, {"Precedence": "junk"}),
]
# Automatic, but possibly a server's real request (md5 mode): handled, never answered.
SILENT = [
    ("auto-generated", {"Auto-Submitted": "auto-generated"}),
    ("X-Auto-Response-Suppress", {"X-Auto-Response-Suppress": "All"}),
    ("Precedence bulk", {"Precedence": "bulk"}),
]


def raw_mail(headers: dict) -> bytes:
    raw = mail(BODY)
    extra = b""
    for name, values in headers.items():
        for value in values if isinstance(values, list) else [values]:
            extra += f"{name}: {value}\r\n".encode()
    return extra + raw


def answered() -> list:
    replies.send_due()
    return list(outbox.outbox)


def receive(monkeypatch, raw: bytes, *args: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("receive_mail", *args)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "envelope", "headers"), DROPPED, ids=[d[0] for d in DROPPED])
def test_over_smtp_an_auto_reply_or_bounce_is_dropped_unanswered(
    listener, mail_service, name, envelope, headers
):
    with smtp(listener) as client:
        # smtplib sends MAIL FROM:<> for "", which aiosmtpd hands on as "<>".
        client.sendmail(envelope, [f"box@{domain()}"], raw_mail(headers))
    row = InboundMail.objects.get()
    assert (row.outcome, row.reason, row.reply_state) == (
        Outcome.DROPPED,
        "automatic",
        ReplyState.NONE,
    )
    assert Message.objects.count() == 0 and answered() == []


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "envelope", "headers"), DROPPED, ids=[d[0] for d in DROPPED])
def test_through_the_pipe_an_auto_reply_or_bounce_is_dropped_unanswered(
    monkeypatch, mail_service, name, envelope, headers
):
    receive(monkeypatch, raw_mail(headers), "--sender", envelope, "--recipient", f"box@{domain()}")
    row = InboundMail.objects.get()
    assert (row.outcome, row.reason) == (Outcome.DROPPED, "automatic")
    assert Message.objects.count() == 0 and answered() == []


@pytest.mark.django_db
def test_a_null_return_path_written_by_the_mta_is_a_bounce(monkeypatch, mail_service):
    # Without --sender, receive_mail reads the envelope from Return-Path.
    receive(monkeypatch, b"Return-Path: <>\r\n" + raw_mail({}), "--recipient", f"box@{domain()}")
    assert InboundMail.objects.get().reason == "automatic"
    assert answered() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "headers"), SILENT, ids=[s[0] for s in SILENT])
def test_other_automatic_mail_is_handled_but_never_answered(listener, mail_service, name, headers):
    with smtp(listener) as client:
        client.sendmail(SENDER, [f"box@{domain()}"], raw_mail(headers))
    row = InboundMail.objects.get()
    assert (row.outcome, row.reply_state) == (Outcome.REFUSED, ReplyState.NONE)
    assert answered() == []


@pytest.mark.django_db
def test_a_persons_mail_with_the_same_wrong_password_is_answered(mail_service):
    # The control: without those headers the refusal above is answered.
    from mailbridge import intake

    intake.handle(raw_mail({}), envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    assert InboundMail.objects.get().reply_state == ReplyState.PENDING
    assert len(answered()) == 1
