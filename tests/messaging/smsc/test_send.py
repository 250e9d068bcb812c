"""``/sys/send.php`` in SMSC's own shapes: numbers, text, sender, flash, translit, time,
the client's ``id`` (idempotency), ``cost`` 0–3, SMSC's send error codes, and the
text in each request charset."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, Route, SenderId, Service, ServiceState
from messaging.models import ContentRule, Message, Recipient, RuleKind, SendKey, Source
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

from .conftest import allowed_sender, decoded

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"


def charges(service) -> int:
    return LedgerEntry.objects.filter(service=service, kind=LedgerKind.CHARGE).count()


def balance(service) -> Decimal:
    return Service.objects.get(pk=service.pk).balance


def sent_id(answer: str) -> int:
    """The message id of a fmt 1 answer: ``id,cnt[,cost,balance]``."""
    message_id, count, *_ = answer.split(",")
    assert int(count) > 0, answer
    return int(message_id)


# -- numbers, text, sender, flash, translit ---------------------------------------------------


@pytest.mark.parametrize(
    "phones",
    [
        "48600100123,600100124,+48 600 100 125",
        "48600100123;600100124;+48 600 100 125",
        "48600100123, 600100124; 0048600100125",
    ],
)
def test_phones_are_a_comma_or_semicolon_list_in_any_format(smsc, api_service, phones):
    answer = smsc("send", phones=phones, mes="Hi", fmt=1)

    message = Message.objects.get(pk=sent_id(answer))
    assert answer == f"{message.pk},3"
    assert sorted(message.recipients.values_list("number", flat=True)) == [
        "48600100123",
        "48600100124",
        "48600100125",
    ]
    assert message.text == "Hi"


def test_a_send_is_shown_as_sent_through_the_smsc_api(smsc, client, admin_client, api_service):
    message_id = sent_id(smsc("send", phones=NUMBER, mes="Hi", fmt=1))

    assert Message.objects.get(pk=message_id).source == Source.SMSC
    client.force_login(api_service.customer.user)
    page = client.get(f"/services/{api_service.pk}/messages/{message_id}/").content.decode()
    assert "(SMSC API)" in page
    listed = admin_client.get("/admin/messaging/message/?source__exact=smsc").content.decode()
    assert '<td class="field-source">SMSC API</td>' in listed
    assert f"/admin/messaging/message/{message_id}/change/" in listed


def test_a_bad_number_among_good_ones_is_left_out(smsc, api_service):
    answer = smsc("send", phones=f"{NUMBER},123,48600100124", mes="Hi", fmt=1)

    message = Message.objects.get(pk=sent_id(answer))
    assert answer.split(",")[1] == "2"
    assert message.recipient_count == 2


def test_the_count_is_sms_parts_times_numbers(smsc, api_service):
    answer = smsc("send", phones=f"{NUMBER},48600100124", mes="x" * 200, fmt=1)

    message = Message.objects.get(pk=sent_id(answer))
    assert message.parts == 2
    assert answer == f"{message.pk},4"


def test_an_allowed_sender_is_the_messages_sender(smsc, api_service):
    allowed_sender(api_service, "Shop")

    message = Message.objects.get(
        pk=sent_id(smsc("send", phones=NUMBER, mes="Hi", sender="Shop", fmt=1))
    )

    assert (message.sender, message.route) == ("Shop", Route.PREMIUM)


def test_without_a_sender_the_standard_route(smsc, api_service):
    message = Message.objects.get(pk=sent_id(smsc("send", phones=NUMBER, mes="Hi", fmt=1)))

    assert (message.sender, message.route) == ("", Route.STANDARD)


@pytest.mark.parametrize("flash, expected", [("1", True), ("0", False), ("", False)])
def test_flash_1_sends_a_flash_sms(smsc, api_service, flash, expected):
    message = Message.objects.get(
        pk=sent_id(smsc("send", phones=NUMBER, mes="Hi", flash=flash, fmt=1))
    )

    assert message.flash is expected


@pytest.mark.parametrize(
    "translit, stored",
    [("1", "Zazolc gesla jazn"), ("0", "Zażółć gęślą jaźń"), ("", "Zażółć gęślą jaźń")],
)
def test_translit_1_removes_the_polish_letters(smsc, api_service, translit, stored):
    answer = smsc(
        "send", phones=NUMBER, mes="Zażółć gęślą jaźń", translit=translit, charset="utf-8", fmt=1
    )

    assert Message.objects.get(pk=sent_id(answer)).text == stored


# -- time -------------------------------------------------------------------------------------


def send_at(answer: str) -> datetime:
    (moment,) = set(
        Recipient.objects.filter(message_id=sent_id(answer)).values_list("send_at", flat=True)
    )
    return moment


@pytest.mark.parametrize("pattern", ["%d%m%y%H%M", "%d.%m.%y %H:%M", "%d.%m.%Y %H:%M"])
def test_a_time_as_a_local_date_schedules_the_message(smsc, api_service, pattern):
    at = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)

    answer = smsc("send", phones=NUMBER, mes="Hi", time=at.strftime(pattern), fmt=1)

    assert send_at(answer) == at
    assert Message.objects.get(pk=sent_id(answer)).send_at == at


def test_a_time_as_0_and_a_unix_timestamp(smsc, api_service):
    at = int(timezone.now().timestamp()) + 3600

    answer = smsc("send", phones=NUMBER, mes="Hi", time=f"0{at}", fmt=1)

    assert send_at(answer).timestamp() == at


def test_a_time_as_plus_minutes(smsc, api_service):
    before = timezone.now()

    answer = smsc("send", phones=NUMBER, mes="Hi", time="+90", fmt=1)

    moment = send_at(answer)
    assert before + timedelta(minutes=90) <= moment <= timezone.now() + timedelta(minutes=90)


def test_a_time_as_an_hour_range_waits_for_its_start(smsc, api_service):
    now = timezone.localtime()
    start, end = (0, 1) if now.hour >= 2 else (12, 13)
    day = now + timedelta(days=1) if now.hour >= 2 else now
    expected = day.replace(hour=start, minute=0, second=0, microsecond=0)

    answer = smsc("send", phones=NUMBER, mes="Hi", time=f"{start}-{end}", fmt=1)

    assert send_at(answer) == expected


def test_a_time_range_around_now_sends_now(smsc, api_service):
    before = timezone.now()

    answer = smsc("send", phones=NUMBER, mes="Hi", time="0-24", fmt=1)

    assert before <= send_at(answer) <= timezone.now()


def test_a_time_in_the_past_sends_now(smsc, api_service):
    before = timezone.now()

    answer = smsc("send", phones=NUMBER, mes="Hi", time="0101201200", fmt=1)

    assert before <= send_at(answer) <= timezone.now()


@pytest.mark.parametrize("value", ["bogus", "tomorrow", "24-25", "5-3", "31.02.30 10:00", "+x"])
def test_a_time_in_no_smsc_format_is_error_1(smsc, api_service, value):
    assert smsc("send", phones=NUMBER, mes="Hi", time=value) == "ERROR = 1 (parameters error)"
    assert not Message.objects.exists()


def test_a_time_more_than_three_months_ahead_is_error_5(smsc, api_service):
    at = int((timezone.now() + timedelta(days=120)).timestamp())

    assert smsc("send", phones=NUMBER, mes="Hi", time=f"0{at}", fmt=1) == "0,-5"
    assert not Message.objects.exists()


# -- id: the client's idempotency key ---------------------------------------------------------


def test_the_same_id_twice_answers_the_first_send_and_sends_once(smsc, api_service):
    first = smsc("send", phones=NUMBER, mes="Hi", id="order-7", cost=3, fmt=1)
    second = smsc("send", phones=NUMBER, mes="Hi", id="order-7", cost=3, fmt=1)

    assert second == first
    assert Message.objects.count() == 1
    assert charges(api_service) == 1
    message = Message.objects.get()
    assert balance(api_service) == Decimal("100.00") - message.price


def test_the_same_id_with_another_text_still_answers_the_first_send(smsc, api_service):
    first = smsc("send", phones=NUMBER, mes="Hi", id="42", fmt=1)

    assert smsc("send", phones="48600100124", mes="Other", id="42", fmt=1) == first
    assert list(Message.objects.values_list("text", flat=True)) == ["Hi"]


def test_the_same_id_after_24_hours_is_a_new_send(smsc, api_service):
    first = smsc("send", phones=NUMBER, mes="Hi", id="order-7", fmt=1)
    SendKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))

    second = smsc("send", phones=NUMBER, mes="Hi", id="order-7", fmt=1)

    assert sent_id(second) != sent_id(first)
    assert Message.objects.count() == 2
    assert charges(api_service) == 2
    assert SendKey.objects.get().message_id == sent_id(second)


def test_the_same_id_from_another_login_is_its_own_send(smsc, call, api_service, other_login):
    mine = smsc("send", phones=NUMBER, mes="Hi", id="order-7", fmt=1)

    theirs = decoded(
        call("send", **other_login.fields(phones=NUMBER, mes="Hi", id="order-7", fmt=1))
    )

    assert sent_id(theirs) != sent_id(mine)
    assert Message.objects.get(pk=sent_id(theirs)).service == other_login.service
    assert charges(api_service) == charges(other_login.service) == 1


def test_without_an_id_every_request_is_a_send(smsc, api_service):
    answers = [smsc("send", phones=NUMBER, mes="Hi", id="", fmt=1) for _ in range(2)]

    assert len({sent_id(a) for a in answers}) == 2
    assert not SendKey.objects.exists()


def test_a_refused_send_keeps_no_id(smsc, api_service):
    smsc("send", phones="123", mes="Hi", id="order-7")

    assert not SendKey.objects.exists()
    assert sent_id(smsc("send", phones=NUMBER, mes="Hi", id="order-7", fmt=1))


def test_an_id_longer_than_64_characters_is_error_1(smsc, api_service):
    assert smsc("send", phones=NUMBER, mes="Hi", id="x" * 65, fmt=1) == "0,-1"
    assert not Message.objects.exists()


# -- cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, shape",
    [
        (0, "OK - {cnt} SMS, ID - {id}"),
        (1, "{id},{cnt}"),
        (2, "<result>\n<id>{id}</id>\n<cnt>{cnt}</cnt>\n</result>"),
        (3, '{{"id": {id}, "cnt": {cnt}}}'),
    ],
)
def test_cost_0_answers_the_id_and_count(smsc, api_service, fmt, shape):
    answer = smsc("send", phones=f"{NUMBER},48600100124", mes="Hi", fmt=fmt)

    message = Message.objects.get()
    assert answer == shape.format(id=message.pk, cnt=2)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_cost_1_prices_only_sends_nothing_and_charges_nothing(smsc, api_service, fmt):
    answer = smsc("send", phones=f"{NUMBER},48600100124", mes="x" * 200, cost=1, fmt=fmt)

    assert not Message.objects.exists()
    assert charges(api_service) == 0
    assert balance(api_service) == Decimal("100.00")
    # What the same send then costs.
    cost = smsc("send", phones=f"{NUMBER},48600100124", mes="x" * 200, cost=2, fmt=1).split(",")[2]
    assert Decimal(cost) == Message.objects.get().price > 0
    assert (
        answer
        == {
            0: f"{cost} (4 SMS)",
            1: f"{cost},4",
            2: f"<result>\n<cost>{cost}</cost>\n<cnt>4</cnt>\n</result>",
            3: json.dumps({"cost": cost, "cnt": 4}),
        }[fmt]
    )


def test_cost_2_adds_the_cost(smsc, api_service):
    answer = smsc("send", phones=f"{NUMBER},48600100124", mes="Hi", cost=2, fmt=1)

    message = Message.objects.get()
    message_id, count, cost = answer.split(",")
    assert (int(message_id), count) == (message.pk, "2")
    assert Decimal(cost) == message.price > 0


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_cost_3_adds_the_cost_and_the_balance_after_it(smsc, api_service, fmt):
    answer = smsc("send", phones=f"{NUMBER},48600100124", mes="Hi", cost=3, fmt=fmt)

    message = Message.objects.get()
    after = balance(api_service)
    assert after == Decimal("100.00") - message.price
    if fmt == 0:
        parts = answer.split(", ")
        assert parts[:2] == ["OK - 2 SMS", f"ID - {message.pk}"]
        assert [part.split(" - ")[0] for part in parts[2:]] == ["COST", "BALANCE"]
        assert (Decimal(parts[2][7:]), Decimal(parts[3][10:])) == (message.price, after)
    elif fmt == 1:
        message_id, count, cost, left = answer.split(",")
        assert (int(message_id), count) == (message.pk, "2")
        assert (Decimal(cost), Decimal(left)) == (message.price, after)
    elif fmt == 2:
        root = ET.fromstring(answer)
        assert [c.tag for c in root] == ["id", "cnt", "cost", "balance"]
        assert (root.findtext("id"), root.findtext("cnt")) == (str(message.pk), "2")
        assert Decimal(root.findtext("cost")) == message.price
        assert Decimal(root.findtext("balance")) == after
    else:
        data = json.loads(answer)
        assert list(data) == ["id", "cnt", "cost", "balance"]
        assert (data["id"], data["cnt"]) == (message.pk, 2)
        assert (Decimal(data["cost"]), Decimal(data["balance"])) == (message.price, after)


def test_cost_4_is_error_1(smsc, api_service):
    assert smsc("send", phones=NUMBER, mes="Hi", cost=4, fmt=1) == "0,-1"


# -- errors: SMSC's send codes (messaging.smsc.codes.SEND_ERRORS) -----------------------------


@pytest.fixture
def poor(api_service):
    ledger.adjust(api_service.pk, -api_service.balance, note="test: no funds")
    return api_service


@pytest.mark.parametrize(
    "fmt, answer",
    [
        (0, "ERROR = 3 (no money)"),
        (1, "0,-3"),
        (2, "<result>\n<error>no money</error>\n<error_code>3</error_code>\n</result>"),
        (3, '{"error": "no money", "error_code": 3}'),
    ],
)
def test_error_3_without_money(smsc, poor, fmt, answer):
    assert smsc("send", phones=NUMBER, mes="Hi", fmt=fmt) == answer
    assert not Message.objects.exists()
    assert charges(poor) == 0


def test_an_error_answer_repeats_the_clients_id(smsc, poor):
    assert smsc("send", phones=NUMBER, mes="Hi", id="77") == "ERROR = 3 (no money), ID - 77"
    assert smsc("send", phones=NUMBER, mes="Hi", id="77", fmt=1) == "77,-3"


@pytest.mark.parametrize("phones", ["123", "48221234567", "abc", "+48 600", ",;"])
def test_error_7_for_no_valid_number(smsc, api_service, phones):
    assert smsc("send", phones=phones, mes="Hi") == "ERROR = 7 (invalid number)"
    assert not Message.objects.exists()


def test_error_6_for_a_sender_not_registered(smsc, api_service):
    assert smsc("send", phones=NUMBER, mes="Hi", sender="Nobody") == "ERROR = 6 (message denied)"
    assert not Message.objects.exists()


def test_error_6_for_another_customers_sender(smsc, api_service, make_service):
    allowed_sender(make_service(), "Theirs")

    assert smsc("send", phones=NUMBER, mes="Hi", sender="Theirs", fmt=1) == "0,-6"


def test_error_6_for_a_sender_pending_moderation(smsc, api_service):
    SenderId.objects.create(service=api_service, name="Shop")

    assert smsc("send", phones=NUMBER, mes="Hi", sender="Shop", fmt=1) == "0,-6"


def test_error_6_for_a_text_operators_may_block(smsc, api_service):
    ContentRule.objects.create(kind=RuleKind.WORD, pattern="zakazanytekst", reason="test rule")

    assert smsc("send", phones=NUMBER, mes="To jest ZAKAZANYTEKST tutaj", fmt=1) == "0,-6"
    assert not Message.objects.exists()


def test_error_6_for_a_text_too_long(smsc, api_service):
    # 7 parts of GSM-7 text; at most 6 go.
    assert smsc("send", phones=NUMBER, mes="x" * (153 * 6 + 1), fmt=1) == "0,-6"
    assert sent_id(smsc("send", phones=NUMBER, mes="x" * (153 * 6), fmt=1))


@pytest.mark.parametrize(
    "fields",
    [
        {"phones": NUMBER},
        {"mes": "Hi"},
        {"phones": NUMBER, "mes": ""},
        {"phones": NUMBER, "mes": "   "},
        {"phones": " ", "mes": "Hi"},
        {"phones": NUMBER, "mes": "Hi", "fmt": "5"},
    ],
)
def test_error_1_for_missing_phones_or_mes(smsc, api_service, fields):
    assert smsc("send", **fields) == "ERROR = 1 (parameters error)"
    assert not Message.objects.exists()


def test_error_2_for_a_wrong_login(call, api_service):
    answer = decoded(call("send", login="sms_nobody", psw=SEED_PASSWORD, phones=NUMBER, mes="Hi"))

    assert answer == "ERROR = 2 (authorise error)"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "state, answer",
    [
        (ServiceState.IN_DEBT, "0,-3"),
        (ServiceState.BLOCKED_BY_STAFF, "0,-6"),
        (ServiceState.SUSPENDED, "0,-6"),
        (ServiceState.NOT_ACTIVATED, "0,-6"),
    ],
)
def test_a_service_that_may_not_send_is_refused(smsc, api_service, state, answer):
    # In debt is "no money"; any other state the message is denied (codes.send_error).
    Service.objects.filter(pk=api_service.pk).update(state=state)

    assert smsc("send", phones=NUMBER, mes="Hi", fmt=1) == answer
    assert not Message.objects.exists()


# -- the text in each request charset ---------------------------------------------------------

CYRILLIC = "Привет, мир! Ёжик"
POLISH = "Zażółć gęślą jaźń"


@pytest.mark.parametrize("method", ["get", "post"])
def test_cyrillic_in_windows_1251_the_default_charset(call, api_service, method):
    fields = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "phones": NUMBER, "mes": CYRILLIC}

    answer = decoded(call("send", method, encoding="cp1251", fmt=1, **fields))

    assert Message.objects.get(pk=sent_id(answer)).text == CYRILLIC


@pytest.mark.parametrize("method", ["get", "post"])
def test_cyrillic_in_koi8_r(call, api_service, method):
    fields = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "phones": NUMBER, "mes": CYRILLIC}

    answer = decoded(call("send", method, encoding="koi8_r", charset="koi8-r", fmt=1, **fields))

    assert Message.objects.get(pk=sent_id(answer)).text == CYRILLIC


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("text", [POLISH, CYRILLIC, "Cześć 😀"])
def test_any_text_in_utf_8(call, api_service, method, text):
    fields = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "phones": NUMBER, "mes": text}

    answer = decoded(call("send", method, charset="utf-8", fmt=1, **fields))

    assert Message.objects.get(pk=sent_id(answer)).text == text


def test_the_same_bytes_read_in_another_charset_are_another_text(call, api_service):
    # koi8-r bytes without charset are read as windows-1251: the charset field matters.
    fields = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "phones": NUMBER, "mes": CYRILLIC}

    answer = decoded(call("send", encoding="koi8_r", fmt=1, **fields))

    stored = Message.objects.get(pk=sent_id(answer)).text
    assert stored == CYRILLIC.encode("koi8_r").decode("cp1251")
    assert stored != CYRILLIC


def test_a_multipart_post_loses_its_nul_and_sends(client, api_service):
    response = client.post(
        "/sys/send.php",
        {
            "login": SEED_USERNAME,
            "psw": SEED_PASSWORD,
            "phones": "48501234567",
            "mes": "a\x00b",
            "fmt": 3,
        },
    )  # the test client posts multipart/form-data
    answer = json.loads(decoded(response))
    assert answer["cnt"] == 1, answer
    assert Message.objects.get().text == "ab"


def test_a_malformed_multipart_body_is_error_1_with_200(client, api_service):
    response = client.generic(
        "POST",
        f"/sys/send.php?login={SEED_USERNAME}&psw={SEED_PASSWORD}&fmt=1",
        b"--x\r\nbroken",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 200
    assert response.content == b"0,-1"
    assert not Message.objects.exists()


def test_a_code_sms_is_not_found_by_status_php(smsc, api_service, simulator):
    from messaging import services as pipeline

    sender = SenderId.objects.create(service=api_service, name="48501234567")
    accepted = pipeline.send_sender_code(api_service.pk, sender.pk)
    answer = json.loads(
        smsc("status", id=str(accepted.message.pk), phone="48501234567", fmt=3, all=1)
    )
    assert answer == {"status": -3}
