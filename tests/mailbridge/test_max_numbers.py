"""Maks. ilość numerów w mailu (seed 000 §3.3) counts the numbers of a whole mail: every
address of ours it was sent to, in one delivery or several, and the listener takes
no more recipients than that."""

import pytest
from django.core import mail as outbox

from mailbridge import intake, replies
from mailbridge.models import InboundMail, Outcome
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail, smtp


def sent_replies():
    replies.send_due()
    return list(outbox.outbox)


@pytest.fixture
def limited(mail_service):
    def limit(n):
        mail_service.sms2email.max_numbers = n
        mail_service.sms2email.save()
        return mail_service

    return limit


@pytest.mark.django_db
def test_easy_mode_addresses_of_one_mail_count_together_against_max_numbers(limited):
    limited(1)
    to = [f"48601{n:06d}@{domain()}" for n in range(5)]
    raw = mail(f"{PASSWORD}\n---\nHej", to=", ".join(to))
    intake.handle(raw, envelope_sender=SENDER, recipients=to)
    assert Message.objects.count() == 1
    outcomes = list(InboundMail.objects.order_by("id").values_list("outcome", "reason"))
    assert outcomes == [(Outcome.SENT, "")] + [(Outcome.REFUSED, "too_many_numbers")] * 4
    [reply] = sent_replies()  # one mail, one answer
    assert "wysłał już SMS-y na 1 numerów" in reply.body


@pytest.mark.django_db
def test_box_numbers_and_easy_mode_addresses_add_up(limited):
    limited(1)
    # Easy mode takes its own number in the parameters (seed 000 §4.1.1).
    to = [f"box@{domain()}", f"601999888@{domain()}"]
    raw = mail(f"{PASSWORD}\n601999888\n---\nHej", to=", ".join(to))
    intake.handle(raw, envelope_sender=SENDER, recipients=to)
    box, easy = InboundMail.objects.order_by("id")
    assert (box.outcome, box.message.recipient_count) == (Outcome.SENT, 1)
    assert (easy.outcome, easy.reason) == (Outcome.REFUSED, "too_many_numbers")
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_a_later_delivery_of_the_same_mail_to_other_addresses_counts_too(mail_service):
    # What a client does with the recipients a server answered 452: another
    # transaction, the same Message-ID.
    mail_service.sms2email.max_numbers = 2
    mail_service.sms2email.save()
    to = [f"48601{n:06d}@{domain()}" for n in range(4)]
    raw = mail(f"{PASSWORD}\n---\nHej", to=", ".join(to))
    intake.handle(raw, envelope_sender=SENDER, recipients=to[:2])
    intake.handle(raw, envelope_sender=SENDER, recipients=to[2:])
    assert Message.objects.count() == 2
    assert InboundMail.objects.filter(reason="too_many_numbers").count() == 2


@pytest.mark.django_db(transaction=True)
def test_recipients_past_the_senders_limit_are_answered_452(listener, limited):
    # RFC 5321 §4.5.3.1.10: the client sends those in a later transaction, where
    # they count against the same limit (tests/mailbridge/test_intake.py).
    limited(3)
    to = [f"48601{n:06d}@{domain()}" for n in range(200)]
    with smtp(listener) as client:
        refused = client.sendmail(SENDER, to, mail(f"{PASSWORD}\n---\nHej", to=to[0]))
    assert len(refused) == 197
    assert {code for code, _text in refused.values()} == {452}
    assert Message.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_sender_no_service_authorises_gets_a_few_recipients_only(listener, mail_service):
    to = [f"48601{n:06d}@{domain()}" for n in range(50)]
    with smtp(listener) as client:
        refused = client.sendmail("obcy@example.com", to, mail("x", sender="obcy@example.com"))
    assert len(refused) == 40
    assert InboundMail.objects.filter(outcome=Outcome.DROPPED).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_mail_at_once_count_in_turn(limited, monkeypatch):
    import threading
    import time

    from django.db import connection

    from messaging import services

    limited(1)
    real_submit = services.submit

    def slow_submit(*args, **kwargs):
        time.sleep(0.3)  # without the lock, both have counted before either commits
        return real_submit(*args, **kwargs)

    monkeypatch.setattr(services, "submit", slow_submit)
    to = [f"601123456@{domain()}", f"601123457@{domain()}"]
    raw = mail(f"{PASSWORD}\n---\nHej", to=", ".join(to))
    start = threading.Barrier(2)

    def deliver(address):
        start.wait()
        try:
            intake.handle(raw, envelope_sender=SENDER, recipients=[address])
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(address,)) for address in to]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Message.objects.count() == 1
    assert InboundMail.objects.filter(reason="too_many_numbers").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_database_error_at_rcpt_is_never_a_permanent_refusal(listener, limited, monkeypatch):
    from django.db import InterfaceError

    from mailbridge import smtp as smtp_door

    def broken(address):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(smtp_door, "settings_for", broken)
    with smtp(listener) as client:
        client.ehlo()
        client.mail(SENDER)
        code, _text = client.rcpt(f"box@{domain()}")
    assert code == 250  # the mail is judged at DATA, which answers 451 if the database is away
