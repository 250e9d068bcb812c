"""UPS shipment notifications (seed 000 §5.1): mailbridge.ups, and mail to a subdomain."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core import mail as outbox
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mailbridge import intake, mime, replies, settings_ops, ups
from mailbridge.models import InboundMail, Outcome, ReplyState
from mailbridge.senders import listed
from messaging.models import Message, Source
from tests.conftest import examples
from tests.mailbridge.conftest import SENDER, domain

UPS_FROM = "pkginfo@ups.com"

# Quantum View "Ship Notification", text/plain, as UPS writes it for a shipper.
ENGLISH = """\
*** Do not reply to this e-mail. UPS and ACME Sp. z o.o. will not receive your reply.

At the request of ACME Sp. z o.o., this notice is to alert you that the status of
the shipment listed below has changed.

Important Delivery Information

Scheduled Delivery: Thursday, 14/03/2024

Shipment Detail

Ship To:
Jan Kowalski
ul. Dluga 5
WARSZAWA
00-950
PL

UPS Service:            UPS STANDARD
Number of Packages:     2
Weight:                 12.5 KGS
{cod}
Tracking Number:        1Z999AA10123456784
Reference Number 1:     ZAM-2024-0173

Discover more about UPS:
Visit www.ups.com

(c) 2024 United Parcel Service of America, Inc. UPS, the UPS brandmark, and the
color brown are trademarks of United Parcel Service of America, Inc.
"""

POLISH = """\
*** Nie odpowiadaj na tę wiadomość. UPS i ACME Sp. z o.o. nie otrzymają odpowiedzi.

Na prośbę firmy ACME Sp. z o.o. informujemy, że poniższa przesyłka została nadana.

Szczegóły przesyłki

Odbiorca:
Anna Nowak
ul. Polna 12/3
KRAKÓW 30-001

Usługa UPS: UPS STANDARD
Liczba paczek: 1
Waga: 3,2 KG
{cod}
Numer przesyłki: 1Z12345E0205271688
Numer referencyjny 1: FV/2024/03/117

Więcej informacji na www.ups.com
"""

HTML = """\
<html><head><style>td {{ font-family: Arial; }}</style><title>UPS</title></head>
<body>
<p>At the request of ACME Sp. z o.o., this notice is to alert you that the status
of the shipment listed below has changed.</p>
<h2>Shipment Detail</h2>
<table>
<tr><td><b>UPS Service:</b></td><td>UPS EXPRESS SAVER</td></tr>
<tr><td><b>Number of Packages:</b></td><td>3</td></tr>
<tr><td><b>Weight:</b></td><td>27.6&nbsp;LBS</td></tr>
{cod}
<tr><td><b>Tracking Number:</b></td>
    <td><a href="https://www.ups.com/track?tracknum=1ZW2345E6612345674">1ZW2345E6612345674</a></td></tr>
</table>
<p>&copy; 2024 United Parcel Service of America, Inc.</p>
</body></html>
"""

pytestmark = pytest.mark.django_db


def english(cod=""):
    return ENGLISH.format(cod=cod)


def polish(cod=""):
    return POLISH.format(cod=cod)


def html(cod=""):
    return HTML.format(cod=cod)


def ups_mail(text=None, *, html_body=None, sender=UPS_FROM, to=None, headers=None):
    """A UPS notification as UPS sends it: text/plain, HTML, or both (alternative)."""
    message = EmailMessage()
    message["From"] = f"UPS Quantum View <{sender}>"
    message["To"] = to or f"601123456@{subdomain_host('x')}"
    message["Subject"] = "UPS Ship Notification, Tracking Number 1Z999AA10123456784"
    message["Message-ID"] = make_msgid(domain="ups.com")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html_body is not None:
            message.add_alternative(html_body, subtype="html")
    else:
        message.set_content(html_body, subtype="html")
    return message.as_bytes()


def subdomain_host(subdomain):
    return f"{subdomain}.{domain()}"


@pytest.fixture
def ups_service(mail_service):
    settings_row = mail_service.sms2email
    settings_row.ups_enabled = True
    settings_row.save()
    return mail_service


def to_number(service, number="601123456"):
    return f"{number}@{subdomain_host(service.sms2email.ups_subdomain)}"


def handle(raw, service, *, envelope=UPS_FROM, number="601123456"):
    return intake.handle(raw, envelope_sender=envelope, recipients=[to_number(service, number)])


def only_row():
    return InboundMail.objects.get()


def sent_replies():
    replies.send_due()
    return list(outbox.outbox)


def assert_refused_silently(reason):
    row = only_row()
    assert (row.outcome, row.reason) == (Outcome.REFUSED, reason)
    assert row.reply_state == ReplyState.NONE
    assert Message.objects.count() == 0
    assert sent_replies() == []


# The parser.


def test_english_text_without_cod():
    assert ups.parse_notification(english()) == ups.Shipment(
        "1Z999AA10123456784", 2, "12.5", "KGS", None
    )


def test_english_text_with_cod():
    shipment = ups.parse_notification(english("COD Amount:             150.00 PLN"))
    assert (shipment.cod_amount, shipment.cod_currency) == ("150.00", "PLN")


def test_polish_text_with_cod_keeps_the_decimal_comma():
    shipment = ups.parse_notification(polish("Kwota pobrania: 89,99 zł"))
    assert shipment == ups.Shipment("1Z12345E0205271688", 1, "3,2", "KG", "89,99", "PLN")


def test_polish_text_without_diacritics():
    text = polish().replace("Numer przesyłki", "Numer przesylki")
    assert ups.parse_notification(text).tracking == "1Z12345E0205271688"


def test_html_body_reduced_to_text():
    row = "<tr><td><b>COD Amount:</b></td><td>PLN 1 250,00</td></tr>"
    shipment = ups.parse_notification(mime.html_to_text(html(row)))
    assert shipment == ups.Shipment("1ZW2345E6612345674", 3, "27.6", "LBS", "1 250,00", "PLN")


def test_a_value_in_the_row_below_its_label():
    text = "Tracking Number:\n\n1z 999 aa1 01 2345 6784\nNumber of Packages:\n1\nWeight:\n0.5 KGS"
    assert ups.parse_notification(text) == ups.Shipment("1Z999AA10123456784", 1, "0.5", "KGS")


@pytest.mark.parametrize("cod", ["COD Amount: 0.00 PLN", "COD: No", "Kwota pobrania: brak"])
def test_no_cash_on_delivery(cod):
    assert ups.parse_notification(english(cod)).cod_amount is None


def test_cod_in_another_currency_names_it():
    shipment = ups.parse_notification(english("COD Amount: 40.00 EUR"))
    assert (shipment.cod_amount, shipment.cod_currency) == ("40.00", "EUR")


def test_a_cod_label_without_an_amount_is_no_notification():
    assert ups.parse_notification(english("COD Amount: see the invoice")) is None


@pytest.mark.parametrize(
    "text",
    [
        "Dzień dobry, paczka wyjdzie jutro. Pozdrawiam",
        english().replace("Tracking Number:        1Z999AA10123456784", ""),
        english().replace("1Z999AA10123456784", "1Z999AA1012345678"),  # 15 after 1Z
        english().replace("Weight:                 12.5 KGS", ""),
        english().replace("Number of Packages:     2", ""),
        "Code: 1Z999AA10123456784\nPackages 2",
    ],
    ids=["plain", "no-tracking", "short-tracking", "no-weight", "no-packages", "no-labels"],
)
def test_not_a_notification(text):
    assert ups.parse_notification(text) is None


def test_sms_text_exactly_as_the_seed_writes_it():
    shipment = ups.Shipment("1Z999AA10123456784", 2, "12.5", "KGS", "150.00")
    assert ups.sms_text(shipment) == (
        "Towar wysłany. Nr UPS 1Z999AA10123456784. Liczba paczek 2. Waga 12.5 KGS.\n"
        "Kwota pobrania 150.00 PLN\n"
        "Sprawdź szczegóły na www.ups.com."
    )


def test_sms_text_without_cod_has_no_cod_line():
    shipment = ups.Shipment("1Z12345E0205271688", 1, "3,2", "KG")
    assert ups.sms_text(shipment) == (
        "Towar wysłany. Nr UPS 1Z12345E0205271688. Liczba paczek 1. Waga 3,2 KG.\n"
        "Sprawdź szczegóły na www.ups.com."
    )


_LABELS = st.sampled_from(
    ["Tracking Number:", "Numer przesyłki:", "Weight:", "Waga:", "COD Amount:", "Kwota pobrania:"]
    + ["Number of Packages:", "Liczba paczek:", "1Z", "\n", " ", "PLN", "zł", "12,5", "KGS"]
)


@hypothesis_settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.one_of(st.text(), _LABELS), max_size=30).map("".join))
def test_parse_notification_never_raises(text):
    shipment = ups.parse_notification(text)
    if shipment is not None:
        assert shipment.tracking.startswith("1Z") and len(shipment.tracking) == 18
        ups.sms_text(shipment)


def test_sender_matches_a_domain_or_an_exact_address():
    entries = ["ups.com", "Notify@Carrier.example"]
    assert listed("PkgInfo@UPS.com", entries)
    assert listed("notify@carrier.example", entries)
    assert not listed("other@carrier.example", entries)
    assert not listed("x@mail.ups.com.evil.example", entries)


# Mail to NUMBER@SUBDOMAIN.DOMAIN.


@pytest.mark.parametrize("number", ["601123456", "48601123456"])
def test_a_notification_sends_the_seeds_sms_to_the_address_number(ups_service, number):
    [row] = handle(ups_mail(english()), ups_service, number=number)
    assert (row.outcome, row.service_id) == (Outcome.SENT, ups_service.pk)
    message = Message.objects.get()
    assert row.message_id == message.pk and message.source == Source.EMAIL
    assert message.text == (
        "Towar wysłany. Nr UPS 1Z999AA10123456784. Liczba paczek 2. Waga 12.5 KGS.\n"
        "Sprawdź szczegóły na www.ups.com."
    )
    assert list(message.recipients.values_list("number", flat=True)) == ["48601123456"]
    assert sent_replies() == []


def test_a_polish_notification_with_cod(ups_service):
    handle(ups_mail(polish("Kwota pobrania: 89,99 PLN")), ups_service)
    assert Message.objects.get().text == (
        "Towar wysłany. Nr UPS 1Z12345E0205271688. Liczba paczek 1. Waga 3,2 KG.\n"
        "Kwota pobrania 89,99 PLN\n"
        "Sprawdź szczegóły na www.ups.com."
    )


def test_an_html_only_notification(ups_service):
    handle(ups_mail(html_body=html()), ups_service)
    assert Message.objects.get().text.startswith("Towar wysłany. Nr UPS 1ZW2345E6612345674.")


def test_a_text_and_html_notification_reads_the_text_part(ups_service):
    handle(ups_mail(english(), html_body=html()), ups_service)
    assert "Nr UPS 1Z999AA10123456784." in Message.objects.get().text


def test_automatic_headers_do_not_stop_a_notification(ups_service):
    headers = {"Auto-Submitted": "auto-generated", "Precedence": "bulk"}
    handle(ups_mail(english(), headers=headers), ups_service)
    assert only_row().outcome == Outcome.SENT


def test_a_notification_is_handled_once(ups_service):
    raw = ups_mail(english())
    assert len(handle(raw, ups_service)) == 1
    assert handle(raw, ups_service) == []
    assert Message.objects.count() == 1 and InboundMail.objects.count() == 1


def test_a_mail_that_is_not_a_notification_is_refused_without_sms_or_reply(ups_service):
    handle(ups_mail("Dzień dobry, paczka wyjdzie jutro."), ups_service)
    assert_refused_silently(intake.NOT_A_NOTIFICATION)


def test_a_notification_without_tracking_number_is_refused_without_sms_or_reply(ups_service):
    text = english().replace("Tracking Number:        1Z999AA10123456784", "")
    handle(ups_mail(text), ups_service)
    assert_refused_silently(intake.NOT_A_NOTIFICATION)


def test_a_sender_that_is_not_ups_is_refused(ups_service):
    sender = "sklep@example.com"
    handle(ups_mail(english(), sender=sender), ups_service, envelope=sender)
    assert_refused_silently(intake.UPS_SENDER)
    assert only_row().service_id == ups_service.pk


def test_a_ups_from_with_another_envelope_sender_is_refused(ups_service):
    handle(ups_mail(english()), ups_service, envelope="spammer@example.net")
    assert_refused_silently(intake.UPS_SENDER)


def test_an_authorised_sender_of_the_service_may_send(ups_service):
    handle(ups_mail(english(), sender=SENDER), ups_service, envelope=SENDER)
    assert only_row().outcome == Outcome.SENT


def test_another_services_authorised_sender_is_refused(ups_service, make_service):
    from mailbridge.models import Sms2EmailSettings
    from mailbridge.senders import set_authorised

    other = Sms2EmailSettings.objects.create(service=make_service(), enabled=True)
    set_authorised(other, "obcy@example.com")
    handle(ups_mail(english(), sender="obcy@example.com"), ups_service, envelope="obcy@example.com")
    assert_refused_silently(intake.UPS_SENDER)


def test_ups_senders_is_configurable(ups_service, settings):
    settings.UPS_SENDERS = ["notify@carrier.example"]
    handle(ups_mail(english()), ups_service)
    assert_refused_silently(intake.UPS_SENDER)
    sender = "notify@carrier.example"
    handle(ups_mail(english(), sender=sender), ups_service, envelope=sender)
    assert InboundMail.objects.filter(outcome=Outcome.SENT).count() == 1


def test_ups_mail_switched_off_is_refused_without_reply(mail_service):
    handle(ups_mail(english()), mail_service)
    assert_refused_silently(intake.UPS_OFF)


def test_sms2email_switched_off_is_refused_without_reply(ups_service):
    settings_row = ups_service.sms2email
    settings_row.enabled = False
    settings_row.save()
    handle(ups_mail(english()), ups_service)
    assert_refused_silently(intake.SMS2EMAIL_OFF)


def test_the_old_subdomain_is_refused_at_once_after_regeneration(ups_service):
    old = to_number(ups_service)
    settings_ops.regenerate_subdomain(ups_service.sms2email)
    intake.handle(ups_mail(english()), envelope_sender=UPS_FROM, recipients=[old])
    row = only_row()
    assert (row.outcome, row.reason) == (Outcome.DROPPED, intake.UNKNOWN_SUBDOMAIN)
    assert row.service is None
    assert Message.objects.count() == 0 and sent_replies() == []
    handle(ups_mail(english()), ups_service)
    assert Message.objects.count() == 1


def test_an_unknown_subdomain_is_dropped(ups_service):
    intake.handle(
        ups_mail(english()),
        envelope_sender=UPS_FROM,
        recipients=[f"601123456@{subdomain_host('zzzzzzzz')}"],
    )
    assert (only_row().outcome, only_row().reason) == (Outcome.DROPPED, intake.UNKNOWN_SUBDOMAIN)
    assert Message.objects.count() == 0
