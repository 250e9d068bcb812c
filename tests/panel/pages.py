"""The panel's pages, in one list, and a customer with something on every one of them.

The layout test (test_page_layout.py) opens each page at phone and desktop widths, the
accessibility test (test_accessibility.py) runs axe-core on each and ``make
screenshots`` (tests/panel/screenshots.py) photographs them; test_pages.py
checks the list against the URLconf, so a page added to panel.urls and left out of
``PAGES`` (or of the exclusions below, each with its reason) fails there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import apiauth, ledger, senders
from accounts.models import (
    AllowedAddress,
    Customer,
    LedgerEntry,
    SenderId,
    SenderStatus,
    Service,
    ServiceKind,
    ServiceState,
)
from contacts import imports
from contacts.models import Contact, ContactFields, ContactGroup, MessageTemplate
from mailbridge import settings_ops
from mailbridge.models import (
    InboundMail,
    OutboundKind,
    OutboundMail,
    Outcome,
    RecipientAddress,
    ReplyState,
)
from mailbridge.senders import set_authorised
from messaging import services, stoplist
from messaging.models import (
    Callback,
    CallbackAttempt,
    Message,
    Recipient,
    Source,
    StopEntry,
    StopSettings,
    StopVia,
)
from tests.quiet_hours import switch_on

USERNAME = "kwiaciarnia"
PASSWORD = "pw-kwiaciarnia"


@dataclass
class Showcase:
    """What the pages show: the busy service, its richest message, and an id for every
    other object a panel URL takes (``ids``, by the URL's parameter name)."""

    service: Service
    message: Message
    ids: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    kwargs: Callable[[Showcase], dict] = lambda s: {}
    # Shown to a visitor who has not signed in (the others need the login).
    signed_out: bool = False


def _ids(s: Showcase, name: str) -> dict:
    return {"service_id": s.service.pk, name: s.ids[name]}


def _service(s: Showcase) -> dict:
    return {"service_id": s.service.pk}


PAGES: dict[str, Page] = {
    "login": Page(signed_out=True),
    "dashboard": Page(),
    "order_service": Page(),
    "password_change": Page(),
    "password_change_done": Page(),
    "api_docs": Page(),
    "service": Page(_service),
    "send_sms": Page(_service),
    "sms_settings": Page(_service),
    "quiet_hours": Page(_service),
    # The question a destructive action asks first (panel.confirm): its GET.
    "regenerate_api_password": Page(_service),
    "regenerate_sms_hash": Page(_service),
    "regenerate_signing_secret": Page(_service),
    "service_block": Page(_service),
    "message_cancel": Page(lambda s: _ids(s, "message_id")),
    "ip_address_delete": Page(lambda s: _ids(s, "entry_id")),
    "sender_delete": Page(lambda s: _ids(s, "sender_id")),
    "sms2email_password": Page(_service),
    "sms2email_subdomain": Page(_service),
    "message_list": Page(_service),
    "message_detail": Page(lambda s: {"service_id": s.service.pk, "message_id": s.message.pk}),
    "balance_history": Page(_service),
    "change_history": Page(_service),
    "incoming": Page(_service),
    "ip_addresses": Page(_service),
    "callback_url": Page(_service),
    "sender_ids": Page(_service),
    "sms2email_settings": Page(_service),
    "sms2email_log": Page(_service),
    # The address book's import and the message templates (per customer).
    "contacts_import": Page(),
    "contacts_import_preview": Page(lambda s: {"key": s.ids["uploaded_import"]}),
    "contacts_import_report": Page(lambda s: {"key": s.ids["key"]}),
    "template_list": Page(),
    "template_add": Page(),
    "template_edit": Page(lambda s: {"template_id": s.ids["template_id"]}),
    "template_delete": Page(lambda s: {"template_id": s.ids["template_id"]}),
    "stoplist": Page(),
    "stoplist_log": Page(),
    "stoplist_remove": Page(lambda s: {"stop_id": s.ids["stop_id"]}),
    # The address book: the customer's, not a service's.
    "contact_list": Page(),
    "contact_add": Page(),
    "contact_edit": Page(lambda s: {"contact_id": s.ids["contact_id"]}),
    "contact_delete": Page(lambda s: {"contact_id": s.ids["contact_id"]}),
    "contact_groups": Page(),
    "contact_group_edit": Page(lambda s: {"group_id": s.ids["group_id"]}),
    "contact_group_delete": Page(lambda s: {"group_id": s.ids["group_id"]}),
    "contact_fields": Page(),
}

# Files, not pages: they open in a spreadsheet, not in the browser.
DOWNLOADS = {
    "balance_csv",
    "incoming_csv",
    "message_list_csv",
    "message_recipients_csv",
    "contacts_import_problems_csv",
    "stoplist_csv",
    "contacts_csv",
    "contacts_xlsx",
}

# POST only: each changes something and sends the browser back to a page of the list
# (or, send_estimate, answers the send form's counter in JSON); a GET is refused (405).
# An action that destroys something asks first instead: its GET is a page (above).
ACTIONS = {
    "logout",
    "service_unblock",
    "interface_switch",
    "send_estimate",
    "sender_send_code",
    "sender_confirm",
    "sms2email_on",
    "sms2email_off",
    "sms2email_recipient_ask",
    "stoplist_add",
    "stoplist_import",
    "stoplist_settings",
    # The list's buttons for the ticked contacts (deleting them asks first, in its answer).
    "contact_bulk",
}


def build_showcase(simulator) -> Showcase:
    """A flower shop's account a month into using the platform: three services (one
    busy, one waiting for activation, one it blocked), a month of sends with every
    kind of outcome, sender names in each state, received SMS, IP addresses, a callback
    URL with failed calls, and Sms2Email with its log. Needs the simulator gateway."""
    from django.contrib.auth import get_user_model

    from gateways import dispatch

    user = get_user_model().objects.create_user(USERNAME, "biuro@kwiaciarnia.example.pl", PASSWORD)
    customer = Customer.objects.create(user=user, name="Kwiaciarnia Róża sp. z o.o.")
    service = Service.objects.create(
        customer=customer,
        name="Sklep internetowy – powiadomienia o zamówieniach",
        kind=ServiceKind.TWO_WAY,
        state=ServiceState.ACTIVE,
        credit_limit=Decimal("50.00"),
        callback_url="https://sklep.kwiaciarnia.example.pl/api/sms/raporty-doreczen",
    )
    service.api_username = "kwiaciarnia_sklep"
    service.save()
    apiauth.set_api_password(service, "api-haslo")
    Service.objects.create(
        customer=customer,
        name="Newsletter",
        kind=ServiceKind.ONE_WAY,
        state=ServiceState.NOT_ACTIVATED,
    )
    blocked = Service.objects.create(
        customer=customer,
        name="Przypomnienia o wizytach",
        kind=ServiceKind.TWO_WAY,
        state=ServiceState.BLOCKED_BY_CUSTOMER,
    )
    ledger.top_up(blocked.pk, Decimal("12.50"), note="przelew 2026/11/004")
    # Below its alert threshold: the dashboard says so.
    Service.objects.filter(pk=blocked.pk).update(low_balance_threshold=Decimal("20.00"))
    ledger.top_up(service.pk, Decimal("300.00"), note="przelew 2026/11/017")

    for network, note in [
        ("203.0.113.7", "serwer sklepu"),
        ("2001:db8:85a3::/48", "biuro, sieć IPv6"),
        ("192.0.2.0/24", ""),
    ]:
        AllowedAddress.objects.create(service=service, network=network, note=note)
    shop = SenderId.objects.create(service=service, name="KWIACIARNIA", status=SenderStatus.ALLOWED)
    SenderId.objects.create(service=service, name="ROZA", comment="na Walentynki")
    SenderId.objects.create(
        service=service, name="PROMOCJA", status=SenderStatus.DISABLED, comment="odrzucona"
    )
    phone = SenderId.objects.create(
        service=service, name="48601234567", status=SenderStatus.ALLOWED
    )
    with transaction.atomic():  # as sending the code does (it locks the row)
        senders.issue_code(phone)

    def send_on(days_ago: int, numbers: list[str], text: str, **fields) -> Message:
        """Send and report through the simulator, then date it ``days_ago`` days back."""
        last = LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        request = services.SendRequest(recipients=numbers, text=text, **fields)
        message = services.submit(service.pk, request).message
        dispatch.dispatch_batch()
        if days_ago:
            back = timedelta(days=days_ago, hours=1)
            when = timezone.now() - back
            Message.objects.filter(pk=message.pk).update(created_at=when, send_at=when)
            Recipient.objects.filter(message=message).update(status_at=when, send_at=when)
            Recipient.objects.filter(message=message, delivered_at__isnull=False).update(
                delivered_at=when + timedelta(seconds=7)
            )
            LedgerEntry.objects.filter(service=service, pk__gt=last or 0).update(created_at=when)
        return message

    # The simulator's outcome is the number's last three digits (README): 000
    # rejected, 999 expired, 998 operator error, anything else delivered.
    for days_ago in range(29, 0, -1):
        count = 1 + (days_ago * 7) % 5
        numbers = [f"4860{days_ago:02d}{n:05d}" for n in range(count)]
        if days_ago % 6 == 0:
            numbers.append("48600100998")
        send_on(days_ago, numbers, f"Zamówienie nr {1000 + days_ago} jest gotowe do odbioru.")
    message = send_on(
        0,
        [
            "48601100200",
            "48601100201",
            "48601100202",
            "48600100000",
            "48600100999",
            "48600100998",
            "48602300400",
            "48602300401",
        ],
        "Dzień dobry! Zamówienie nr 1042 (bukiet „Wiosenny”, 149,00 zł) wyjedzie do Pani "
        "jutro między 9:00 a 12:00. Kurier zadzwoni 30 minut wcześniej. Pozdrawiamy, "
        "Kwiaciarnia Róża",
        sender=shop.name,
        notify_url="https://sklep.kwiaciarnia.example.pl/api/sms/raporty-doreczen?zamowienie=1042",
        source=Source.PANEL,
    )
    services.submit(
        service.pk,
        services.SendRequest(
            recipients=["48605111222", "48605111223"],
            text="Przypominamy o odbiorze zamówienia jutro.",
            send_at=timezone.now() + timedelta(days=2),
            source=Source.PANEL,
        ),
    )
    called_off = services.submit(
        service.pk,
        services.SendRequest(
            recipients=["48605111224", "48605111225", "48605111226"],
            text="Zapraszamy na kiermasz świąteczny w sobotę.",
            send_at=timezone.now() + timedelta(days=5),
            source=Source.PANEL,
        ),
    ).message
    services.cancel(service.pk, called_off.pk)  # cancelled and refunded, as listed
    for call in Callback.objects.filter(message=message):
        CallbackAttempt.objects.create(
            callback=call,
            url=call.url,
            http_status=502,
            error="answered 502, not OK",
            response_excerpt="<html><head><title>502 Bad Gateway</title></head><body>…",
            duration_ms=812,
        )
        CallbackAttempt.objects.create(
            callback=call, url=call.url, http_status=200, ok=True, response_excerpt="OK"
        )

    for sender, text in [
        ("48601100200", "Tak, potwierdzam odbiór jutro o 10."),
        ("48602300400", "Czy można zmienić adres dostawy na ul. Marszałkowską 140/12?"),
        ("+48 512 300 400", "STOP"),
    ]:
        services.store_incoming(service.pk, sender, "48500100200", text, None)

    sms2email = settings_ops.switch_on(service)
    set_authorised(sms2email, "biuro@kwiaciarnia.example.pl, *@sklep.kwiaciarnia.example.pl")
    sms2email.incoming_recipients = "zamowienia@kwiaciarnia.example.pl, anna.nowak@example.pl"
    sms2email.save()
    confirmed = RecipientAddress.objects.create(
        settings=sms2email,
        address="zamowienia@kwiaciarnia.example.pl",
        confirmed_at=timezone.now(),
    )
    RecipientAddress.objects.create(
        settings=sms2email, address="anna.nowak@example.pl", asked_at=timezone.now()
    )
    mail_message = Message.objects.filter(service=service).order_by("pk").first()
    for n, (outcome, fields) in enumerate(
        [
            (Outcome.SENT, {"message": mail_message, "reply_state": ReplyState.SENT}),
            (Outcome.REFUSED, {"reason": "unknown_sender", "detail": "nieznany nadawca"}),
            (Outcome.DROPPED, {"reason": "duplicate", "detail": "ta sama wiadomość już była"}),
        ]
    ):
        InboundMail.objects.create(
            service=service,
            sender="biuro@kwiaciarnia.example.pl",
            recipient=sms2email.box_address,
            subject=f"Zamówienie nr {1030 + n} – powiadomienie klienta",
            mail_id=f"<{n}.zamowienie@kwiaciarnia.example.pl>",
            outcome=outcome,
            **fields,
        )
    for kind, state in [(OutboundKind.REPORT, "sent"), (OutboundKind.INCOMING_SMS, "pending")]:
        OutboundMail.objects.create(
            service=service,
            kind=kind,
            from_address=sms2email.box_address,
            to="biuro@kwiaciarnia.example.pl",
            subject="Re: Zamówienie nr 1030 – raport doręczenia",
            body="48601100200 DELIVERED doręczono\n",
            state=state,
            sent_at=timezone.now() if state == "sent" else None,
        )

    regulars, wholesale = (
        ContactGroup.objects.create(customer=customer, name=name)
        for name in ("Stali klienci", "Hurtownie i kwiaciarnie partnerskie")
    )
    ContactFields.objects.create(customer=customer, name1="Miasto", name2="Rabat")
    first_contact = None
    for number, first, last, email, city, discount, groups in [
        ("48601100200", "Anna", "Nowak", "anna.nowak@example.pl", "Kraków", "10%", [regulars]),
        ("48602300400", "Józef", "Wiśniewski-Dąbrowski", "", "Wieliczka", "", [regulars]),
        ("48605111222", "Zofia", "Łukasiewicz", "zofia@example.pl", "", "5%", []),
        (
            "48601100201",
            "",
            "Hurtownia Kwiatów Storczyk",
            "zamowienia@storczyk.example.pl",
            "Skawina",
            "15%",
            [regulars, wholesale],
        ),
        ("48512300400", "", "", "", "", "", []),
    ]:
        contact = Contact.objects.create(
            customer=customer,
            number=number,
            first_name=first,
            last_name=last,
            email=email,
            field1=city,
            field2=discount,
        )
        contact.groups.set(groups)
        first_contact = first_contact or contact
    # Templates, an import waiting for its columns and one done, with rows left out.
    template = MessageTemplate.objects.create(
        customer=customer,
        name="Zamówienie gotowe do odbioru",
        text="Dzień dobry! Państwa bukiet czeka na odbiór w Kwiaciarni Róża, ul. Kwiatowa 5.",
    )
    MessageTemplate.objects.create(
        customer=customer, name="Walentynki", text="Zamów bukiet na 14 lutego z rabatem 10%!"
    )
    rows = [
        "Telefon;Imię;Nazwisko;E-mail;Miasto;Rabat;Uwagi",
        "600 100 200;Zażółć;Gęślą-Jaźń;anna@example.pl;Łódź;10%;stała klientka od 2019",
        "601 200 300;Łukasz;Świątek;;Gdańsk;5%;",
        "12345;Błędny;Numer;;;;",
    ]
    data = ("\r\n".join(rows) + "\r\n").encode("windows-1250")
    uploaded = imports.upload(customer, "klienci-wiosna-2026.csv", data)
    done = imports.upload(customer, "klienci-2025.csv", data + b"600100200;Jan;;;;;\r\n")
    imports.start(
        done,
        mapping=["number", "first_name", "last_name", "email", "field1", "field2", "note"],
        header=True,
        group=None,
        new_group="Klienci 2025",
        update_existing=True,
    )
    StopSettings.objects.create(
        customer=customer,
        confirm=True,
        stop_text="Kwiaciarnia Róża: nie wyślemy więcej SMS-ów. Odpisz START, by wrócić.",
        start_text="Kwiaciarnia Róża: znów wysyłamy Ci SMS-y.",
    )
    stoplist.add(customer.pk, ["48601100300", "+48 602 100 301"], StopVia.PANEL, user=user)
    stoplist.add(customer.pk, ["48603100302"], StopVia.IMPORT, user=user)
    services.store_incoming(service.pk, "48605100400", "48500100100", "Rezygnuję", None)
    stop_entry = StopEntry.objects.filter(customer=customer).order_by("id").first()
    # Quiet hours on, after every send above: Mon–Fri 08:00–20:00, Sat 10:00–16:00.
    switch_on(service)

    return Showcase(
        service=service,
        message=message,
        ids={
            "template_id": template.pk,
            "uploaded_import": uploaded.key,
            "key": done.key,
            "service_id": service.pk,
            "message_id": message.pk,
            "entry_id": service.allowed_addresses.first().pk,
            "sender_id": phone.pk,
            "stop_id": stop_entry.pk,
            "address_id": confirmed.pk,
            "contact_id": first_contact.pk,
            "group_id": wholesale.pk,
            "interface": "http-api",
            "state": "on",
        },
    )


# In a real browser (Playwright's page), for the layout test and the screenshots.


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")


def open_page(page, base: str, name: str, showcase: Showcase) -> None:
    """Open the page ``name`` of the list as a customer would: by its address."""
    from django.urls import reverse

    entry = PAGES[name]
    path = reverse(name, kwargs=entry.kwargs(showcase))
    response = page.goto(base + path)
    assert response.ok, (name, response.status)
    page.wait_for_load_state("load")


def in_order(pages=PAGES) -> list[str]:
    """The signed-out pages first: the browser signs in after them."""
    return sorted(pages, key=lambda name: not pages[name].signed_out)


def visit_every_page(page, base: str, showcase: Showcase, width: int):
    """Open each page of the list in turn at ``width`` px, signing in once the
    signed-out ones are done; yields each page's name while it is open."""
    signed_in = False
    for name in in_order():
        if not signed_in and not PAGES[name].signed_out:
            sign_in(page, base)
            signed_in = True
        page.set_viewport_size({"width": width, "height": 800})
        open_page(page, base, name, showcase)
        yield name
