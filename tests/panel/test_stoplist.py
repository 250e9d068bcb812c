"""The STOP list page (panel.stoplist) and what the send form says about stopped numbers."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry
from messaging import services, stoplist
from messaging.models import Message, Recipient, StopChange, StopEntry, StopSettings, StopVia

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(make_service, client):
    """A second customer, signed in on a client of their own."""
    from django.test import Client

    service = make_service(username="bob", balance=Decimal("10"))
    bob = Client()
    bob.force_login(service.customer.user)
    return service, bob


def numbers_on(customer) -> set[str]:
    return set(StopEntry.objects.filter(customer=customer).values_list("number", flat=True))


def test_the_page_is_in_the_main_menu_in_polish(alice_client):
    page = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert 'href="/stoplist/"' in page
    listed = alice_client.get("/stoplist/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Lista STOP" in listed and "Dodaj numery" in listed


def test_adding_pasted_numbers(alice_client, service):
    response = alice_client.post(
        "/stoplist/add/", {"numbers": "600 100 200\n+48600100201, 123\n600100200"}, follow=True
    )

    assert numbers_on(service.customer) == {"48600100200", "48600100201"}
    text = response.content.decode()
    assert "2 numbers added to the STOP list." in text
    assert "1 entry is not a Polish mobile number and was skipped." in text
    change = StopChange.objects.first()
    assert (change.via, change.user) == (StopVia.PANEL, service.customer.user)


def test_search_and_pagination(alice_client, service):
    stoplist.add(service.customer_id, [f"6001{n:05d}" for n in range(60)], StopVia.IMPORT)

    first = alice_client.get("/stoplist/").content.decode()
    assert first.count("<code>48") == 50 and "page 1 of 2" in first
    found = alice_client.get("/stoplist/", {"q": "600 100 007"}).content.decode()
    assert found.count("<code>48") == 1 and "48600100007" in found
    partial = alice_client.get("/stoplist/", {"q": "0010001"}).content.decode()
    assert partial.count("<code>48") == 10
    spelt = alice_client.get("/stoplist/", {"q": "6001&0"}).content.decode()
    assert "q=6001%260&amp;page=2" in spelt


def test_removing_asks_first(alice_client, service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)
    entry = StopEntry.objects.get()
    url = f"/stoplist/{entry.pk}/remove/"

    question = alice_client.get(url).content.decode()
    assert "Take 48600100200 off the STOP list?" in question and 'name="confirm"' in question
    assert numbers_on(service.customer) == {"48600100200"}
    alice_client.post(url)  # without confirm=yes: asked again
    assert numbers_on(service.customer) == {"48600100200"}

    alice_client.post(url, {"confirm": "yes"})
    assert numbers_on(service.customer) == set()
    assert StopChange.objects.filter(action="removed", via=StopVia.PANEL).count() == 1


def upload(client, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/stoplist/import/", {"file": SimpleUploadedFile(name, data)}, follow=True)


def test_import_a_polish_excel_csv_in_windows_1250(alice_client, service):
    data = "Numer;Imię\n600100200;Łucja\n600 100 201;Żaneta\nbrak;Ścibor\n600100200;Łucja\n"
    response = upload(alice_client, "stop.csv", data.encode("windows-1250"))

    assert numbers_on(service.customer) == {"48600100200", "48600100201"}
    text = response.content.decode()
    assert "2 numbers added to the STOP list." in text
    assert "Rows without a number: 4." in text
    assert StopChange.objects.filter(via=StopVia.IMPORT).count() == 2


def test_import_a_txt_of_numbers_reports_those_already_listed(alice_client, service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)
    response = upload(alice_client, "stop.txt", b"600100200\n600100201\n\n600100202\n")

    assert len(numbers_on(service.customer)) == 3
    assert "1 number was on the list already." in response.content.decode()


def test_export_csv(alice_client, service):
    stoplist.add(service.customer_id, ["600100201", "600100200"], StopVia.PANEL)

    plain = b"".join(alice_client.get("/stoplist.csv").streaming_content).decode("utf-8-sig")
    assert plain.splitlines()[:3] == [
        "Number,Added",
        f"48600100200,{timezone.localtime(StopEntry.objects.first().created_at):%Y-%m-%d %H:%M:%S}",
        plain.splitlines()[2],
    ]
    assert "48600100201" in plain.splitlines()[2]
    excel = alice_client.get("/stoplist.csv", {"format": "excel"})
    assert "stoplist-excel.csv" in excel["Content-Disposition"]


def test_the_log_shows_the_stop_sms_and_its_answer(alice_client, service):
    StopSettings.objects.create(customer=service.customer, confirm=True, stop_text="Wypisano.")
    services.store_incoming(service.pk, "48600100200", "48500000000", "STOP", None)

    log = alice_client.get("/stoplist/log/").content.decode()
    assert "48600100200" in log and "STOP SMS" in log and "answered by SMS" in log
    assert "SMS “STOP” to " + service.name in log


def test_the_answer_setting_is_saved_and_must_fit_one_sms(alice_client, service):
    alice_client.post(
        "/stoplist/settings/",
        {"confirm": "on", "stop_text": "Wypisano z SMS.", "start_text": "Zapisano."},
    )
    saved = StopSettings.objects.get(customer=service.customer)
    assert (saved.confirm, saved.stop_text) == (True, "Wypisano z SMS.")

    too_long = alice_client.post(
        "/stoplist/settings/", {"confirm": "on", "stop_text": "ż" * 71, "start_text": ""}
    )
    assert too_long.status_code == 400
    assert "must fit in one SMS" in too_long.content.decode()
    assert StopSettings.objects.get(customer=service.customer).stop_text == "Wypisano z SMS."


# -- isolation --------------------------------------------------------------------------------


def test_one_customer_never_sees_or_changes_anothers_list(alice_client, service, other):
    bob_service, bob = other
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)
    StopSettings.objects.create(customer=service.customer, confirm=True, stop_text="Alicja.")
    services.store_incoming(service.pk, "48600100299", "48500000000", "STOP", None)
    entry = StopEntry.objects.filter(customer=service.customer).first()

    assert "48600100200" not in bob.get("/stoplist/").content.decode()
    assert "48600100200" not in bob.get("/stoplist/", {"q": "600100200"}).content.decode()
    assert "48600100299" not in bob.get("/stoplist/log/").content.decode()
    exported = b"".join(bob.get("/stoplist.csv").streaming_content).decode()
    assert "48600100200" not in exported
    assert "Alicja." not in bob.get("/stoplist/").content.decode()
    assert bob.get(f"/stoplist/{entry.pk}/remove/").status_code == 404
    assert bob.post(f"/stoplist/{entry.pk}/remove/", {"confirm": "yes"}).status_code == 404
    assert numbers_on(service.customer) == {"48600100200", "48600100299"}
    # Bob adding the same number puts it on his list only.
    bob.post("/stoplist/add/", {"numbers": "600100200"})
    assert numbers_on(bob_service.customer) == {"48600100200"}
    assert StopEntry.objects.filter(number="48600100200").count() == 2


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/stoplist/").status_code == 302


# -- the send form ---------------------------------------------------------------------------


def send_form(client, service, recipients):
    return client.post(
        f"/services/{service.pk}/send/",
        {"recipients": recipients, "text": "Promocja", "token": timezone.now().isoformat()},
        follow=True,
    )


def test_the_send_form_says_how_many_were_left_out(alice_client, service):
    stoplist.add(service.customer_id, ["600100200", "600100201"], StopVia.PANEL)

    response = send_form(alice_client, service, "600100200, 600100201, 600100202")

    assert "2 numbers are on the STOP list and were left out" in response.content.decode()
    assert list(Recipient.objects.values_list("number", flat=True)) == ["48600100202"]
    message = Message.objects.get()
    charge = LedgerEntry.objects.get(service=service, kind="charge")
    assert -charge.amount == message.recipient_price * 1


def test_the_send_form_in_polish(alice_client, service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)
    response = alice_client.post(
        f"/services/{service.pk}/send/",
        {"recipients": "600100200, 600100202", "text": "Hej", "token": "pl-1"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="pl",
    )
    assert "1 numer jest na liście STOP" in response.content.decode()


def test_every_number_stopped_is_refused_on_the_recipients_field(alice_client, service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)

    response = send_form(alice_client, service, "600100200")

    assert "Every number is on the STOP list" in response.content.decode()
    assert "recipients" in response.context["form"].errors
    assert not Message.objects.exists()
    assert not LedgerEntry.objects.filter(service=service, kind="charge").exists()


def test_the_counter_counts_them_apart(alice_client, service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)

    counted = alice_client.post(
        f"/services/{service.pk}/send/estimate/",
        {"recipients": "600100200, 600100201", "text": "Hej"},
    ).json()

    assert (counted["numbers"], counted["stopped"]) == (1, 1)
    assert "1 on the STOP list" in counted["recipients_text"]
    assert Decimal(counted["price"]) == Decimal(counted["recipient_price"])


def test_the_api_docs_say_how_each_door_reports_them(client):
    page = client.get("/docs/api/").content.decode()
    section = page[page.index('id="stoplist"') :]
    for said in ("RECIPIENT_LIST_IS_EMPTY", "send.php", "error 8", "401", "START"):
        assert said in section, said
    polish = client.get("/docs/api/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Lista STOP (rezygnacje)" in polish


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_suggested_answers_fit_one_sms_in_each_language(alice_client, service, language):
    page = alice_client.get("/stoplist/", HTTP_ACCEPT_LANGUAGE=language)
    form = page.context["settings_form"]
    saved = alice_client.post(
        "/stoplist/settings/",
        {
            "confirm": "on",
            "stop_text": form["stop_text"].value(),
            "start_text": form["start_text"].value(),
        },
    )
    assert saved.status_code == 302
