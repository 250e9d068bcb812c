"""``/sys/senders.php`` (seed 004): list, add, change, delete, and a number confirmed by a
code sent to it as an SMS; staff moderation in admin; errors 1–11 and their limits."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import ledger, senders
from accounts.models import (
    SENDER_OPERATORS,
    LedgerEntry,
    LedgerKind,
    Route,
    SenderId,
    SenderStatus,
    Service,
)
from gateways.models import SimulatedSms
from messaging.models import Message

from .conftest import allowed_sender, decoded, deliver

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"
OK = {0: "OK", 1: "OK", 2: "<result>OK</result>", 3: '{"result": "OK"}'}


def sender(service, name, status=SenderStatus.PENDING, **fields):
    return SenderId.objects.create(service=service, name=name, status=status, **fields)


@pytest.fixture
def names(api_service):
    """One name in each moderation status, and another customer's allowed name."""
    return {
        "Allowed": sender(api_service, "Allowed", SenderStatus.ALLOWED),
        "Pending": sender(api_service, "Pending"),
        "Off": sender(api_service, "Off", SenderStatus.DISABLED),
    }


# -- get=1 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, answer",
    [
        (0, "name = Allowed"),
        (1, "Allowed"),
        (2, "<list>\n<sender>Allowed</sender>\n</list>"),
        (3, '[{"sender": "Allowed"}]'),
    ],
)
def test_get_lists_only_the_names_allowed_for_use(smsc, names, make_service, fmt, answer):
    sender(make_service(), "Theirs", SenderStatus.ALLOWED)

    assert smsc("senders", get=1, fmt=fmt) == answer


@pytest.mark.parametrize(
    "fmt, answer",
    [
        (0, "name = Allowed, status = 1\nname = Off, status = 2\nname = Pending, status = 0"),
        (1, "Allowed,1\nOff,2\nPending,0"),
        (
            2,
            '<list>\n<sender status="1">Allowed</sender>\n<sender status="2">Off</sender>\n'
            '<sender status="0">Pending</sender>\n</list>',
        ),
        (
            3,
            '[{"sender": "Allowed", "status": 1}, {"sender": "Off", "status": 2}, '
            '{"sender": "Pending", "status": 0}]',
        ),
    ],
)
def test_get_all_1_lists_every_name_with_its_status(smsc, names, make_service, fmt, answer):
    sender(make_service(), "Theirs", SenderStatus.ALLOWED)

    assert smsc("senders", get=1, all=1, fmt=fmt) == answer


SEED_OPERATORS = [
    *("mega", "mts", "mega_step", "bee_step", "motiv_step", "mts_step", "tele2_step", "tele2"),
    *("ua_reg", "ua_int"),
]
# A different status at each operator, so that the order shows.
AT_OPERATORS = dict(zip(SEED_OPERATORS, [0, 1, 2, 3, 4, 5, 6, 0, 1, 2], strict=True))


def test_the_operator_columns_are_the_seeds():
    assert list(SENDER_OPERATORS) == SEED_OPERATORS


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_get_operators_1_gives_each_operators_status_in_the_seeds_order(smsc, api_service, fmt):
    sender(api_service, "Shop", SenderStatus.ALLOWED, **AT_OPERATORS)

    answer = smsc("senders", get=1, operators=1, fmt=fmt)

    if fmt == 0:
        assert answer == "name = Shop, " + ", ".join(f"{k} = {v}" for k, v in AT_OPERATORS.items())
    elif fmt == 1:
        assert answer == "Shop,0,1,2,3,4,5,6,0,1,2"
    elif fmt == 2:
        (element,) = ET.fromstring(answer)
        assert (element.tag, element.text) == ("sender", "Shop")
        assert list(element.attrib.items()) == [(k, str(v)) for k, v in AT_OPERATORS.items()]
    else:
        assert json.loads(answer) == [
            {"sender": "Shop", **{k: str(v) for k, v in AT_OPERATORS.items()}}
        ]
        assert list(json.loads(answer)[0]) == ["sender", *SEED_OPERATORS]


def test_get_with_no_names_is_an_empty_list(smsc, api_service):
    assert smsc("senders", get=1, fmt=3) == "[]"
    assert smsc("senders", get=1, fmt=2) == "<list>\n</list>"


# -- add=1 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_add_answers_the_new_names_id_and_it_waits_for_moderation(smsc, api_service, fmt):
    answer = smsc("senders", add=1, sender="Shop", cmt="our shop", fmt=fmt)

    added = SenderId.objects.get(service=api_service)
    assert (
        answer
        == {
            0: f"ID = {added.pk}",
            1: str(added.pk),
            2: f"<sender>\n<id>{added.pk}</id>\n</sender>",
            3: f'{{"sender": {added.pk}}}',
        }[fmt]
    )
    assert (added.name, added.comment, added.status) == ("Shop", "our shop", SenderStatus.PENDING)
    assert smsc("senders", get=1, fmt=1) == ""


def test_add_takes_a_phone_number(smsc, api_service):
    assert smsc("senders", add=1, sender=NUMBER, fmt=1).isdigit()

    assert SenderId.objects.get(service=api_service).is_phone


@pytest.mark.parametrize("name", ["Way too long name", "Zażółć", "", "Shop;", "+4860"])
def test_add_of_an_invalid_name_is_error_1(smsc, api_service, name):
    answer = smsc("senders", add=1, sender=name, charset="utf-8")

    assert answer == "ERROR = 1 (parameters error)"
    assert not SenderId.objects.exists()


@pytest.mark.parametrize("again", ["Shop", "shop", " Shop "])
def test_add_of_a_name_registered_already_is_error_5(smsc, api_service, again):
    sender(api_service, "Shop")

    assert smsc("senders", add=1, sender=again) == "ERROR = 5 (save or delete error)"
    assert SenderId.objects.count() == 1


def test_another_customer_may_register_the_same_name(smsc, make_service):
    sender(make_service(), "Shop")

    assert smsc("senders", add=1, sender="Shop", fmt=1).isdigit()


def test_the_sixth_add_in_a_minute_is_error_9(smsc, api_service, minute):
    answers = [smsc("senders", add=1, sender=f"Shop{n}", fmt=1) for n in range(6)]

    assert all(a.isdigit() for a in answers[:5])
    assert answers[5] == "0,-9"
    assert SenderId.objects.count() == 5
    minute.next()
    assert smsc("senders", add=1, sender="Shop5", fmt=1).isdigit()


def test_adds_of_another_login_are_counted_separately(smsc, call, other_login, minute):
    for n in range(6):
        smsc("senders", add=1, sender=f"Shop{n}")

    answer = decoded(call("senders", **other_login.fields(add=1, sender="Shop", fmt=1)))

    assert answer.isdigit()


# -- chg=1 and del=1 --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_chg_by_name_changes_the_comment(smsc, api_service, fmt):
    shop = sender(api_service, "Shop", comment="old")

    assert smsc("senders", chg=1, sender="shop", cmt="new", fmt=fmt) == OK[fmt]

    shop.refresh_from_db()
    assert (shop.name, shop.comment) == ("Shop", "new")


def test_chg_by_id_changes_the_comment(smsc, api_service):
    shop = sender(api_service, "Shop", comment="old")

    assert smsc("senders", chg=1, id=shop.pk, cmt="new") == "OK"

    shop.refresh_from_db()
    assert shop.comment == "new"


@pytest.mark.parametrize("by", ["name", "id"])
def test_chg_of_another_customers_name_is_error_3(smsc, api_service, make_service, by):
    theirs = sender(make_service(), "Theirs", comment="theirs")
    fields = {"sender": "Theirs"} if by == "name" else {"id": theirs.pk}

    assert smsc("senders", chg=1, cmt="mine", **fields) == "ERROR = 3 (sender not found)"
    theirs.refresh_from_db()
    assert theirs.comment == "theirs"


@pytest.mark.parametrize(
    "fields", [{"sender": "Nobody"}, {"id": "999999"}, {"id": "abc"}, {"id": "9" * 25}]
)
def test_chg_of_an_unknown_name_is_error_3(smsc, api_service, fields):
    assert smsc("senders", chg=1, cmt="x", fmt=1, **fields) == "0,-3"


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_del_by_name_deletes_it(smsc, api_service, fmt):
    sender(api_service, "Shop")
    kept = sender(api_service, "Other")

    assert smsc("senders", sender="Shop", fmt=fmt, **{"del": 1}) == OK[fmt]

    assert list(SenderId.objects.all()) == [kept]


def test_del_by_id_deletes_it(smsc, api_service):
    shop = sender(api_service, "Shop", SenderStatus.ALLOWED)

    assert smsc("senders", id=shop.pk, **{"del": 1}) == "OK"

    assert not SenderId.objects.exists()
    assert smsc("senders", get=1) == ""


@pytest.mark.parametrize("by", ["name", "id"])
def test_del_of_another_customers_name_is_error_3(smsc, api_service, make_service, by):
    theirs = sender(make_service(), "Theirs")
    fields = {"sender": "Theirs"} if by == "name" else {"id": theirs.pk}

    assert smsc("senders", **fields, **{"del": 1}) == "ERROR = 3 (sender not found)"
    assert SenderId.objects.filter(pk=theirs.pk).exists()


# -- error 1 and error 9 for lists ------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"get": "1", "add": "1", "sender": "Shop"},
        {"chg": "1", "cmt": "x"},
        {"del": "1"},
        {"get": "1", "all": "2"},
        {"get": "1", "operators": "x"},
    ],
)
def test_error_1_for_no_one_operation_or_its_fields_missing(smsc, api_service, fields):
    assert smsc("senders", **fields) == "ERROR = 1 (parameters error)"
    assert not SenderId.objects.exists()


def test_the_fourth_identical_list_request_in_a_minute_is_error_9(smsc, names, minute):
    answers = [smsc("senders", get=1, fmt=1) for _ in range(4)]

    assert answers[:3] == ["Allowed"] * 3
    assert answers[3] == "0,-9"
    minute.next()
    assert smsc("senders", get=1, fmt=1) == "Allowed"


def test_a_different_list_request_is_counted_on_its_own(smsc, names, minute):
    for _ in range(4):
        smsc("senders", get=1, fmt=1)

    assert smsc("senders", get=1, fmt=1, all=1) == "Allowed,1\nOff,2\nPending,0"
    assert smsc("senders", get=1, fmt=0) == "name = Allowed"
    assert smsc("senders", get=1, fmt=1) == "0,-9"


# -- moderation in admin ----------------------------------------------------------------------


def test_a_name_added_and_allowed_by_staff_in_admin_is_listed(smsc, api_service, admin_client):
    shop_id = int(smsc("senders", add=1, sender="Shop", cmt="our shop", fmt=1))
    assert smsc("senders", get=1, fmt=1) == ""

    response = admin_client.post(
        "/admin/accounts/senderid/", {"action": "allow", "_selected_action": [shop_id]}
    )

    assert response.status_code == 302
    assert SenderId.objects.get(pk=shop_id).status == SenderStatus.ALLOWED
    assert smsc("senders", get=1, fmt=1) == "Shop"
    assert smsc("senders", get=1, all=1, fmt=1) == "Shop,1"


def test_a_name_disabled_in_admin_leaves_the_list(smsc, api_service, admin_client):
    shop = sender(api_service, "Shop", SenderStatus.ALLOWED)

    admin_client.post(
        "/admin/accounts/senderid/", {"action": "disable", "_selected_action": [shop.pk]}
    )

    assert smsc("senders", get=1, fmt=1) == ""
    assert smsc("senders", get=1, all=1, fmt=1) == "Shop,2"


def test_a_name_allowed_in_the_admin_list_editor_is_listed(smsc, api_service, admin_client):
    shop_id = int(smsc("senders", add=1, sender="Shop", fmt=1))

    response = admin_client.post(
        "/admin/accounts/senderid/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(shop_id),
            "form-0-status": str(SenderStatus.ALLOWED),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert smsc("senders", get=1, fmt=1) == "Shop"


# -- a phone number confirmed by a code (send_code, check_code) -------------------------------


def code_sent_to(number: str) -> str:
    (text,) = SimulatedSms.objects.filter(number=number).values_list("text", flat=True)
    return re.fullmatch(r".*: (\d{6})", text).group(1)


@pytest.fixture
def phone(api_service, simulator):
    """A phone-number sender ID staff have allowed; not yet confirmed."""
    return allowed_sender(api_service, NUMBER)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_send_code_sends_an_sms_through_the_pipeline(smsc, phone, fmt):
    assert smsc("senders", send_code=1, sender=NUMBER, fmt=fmt) == OK[fmt]

    assert deliver() == 1
    code = code_sent_to(NUMBER)
    message = Message.objects.get()
    assert message.recipients.get().number == NUMBER
    assert code in message.text
    phone.refresh_from_db()
    assert phone.code_sent_at is not None and phone.confirmed_at is None


def test_the_code_sms_is_charged_like_any_sms(smsc, api_service, phone):
    smsc("senders", send_code=1, sender=NUMBER)

    message = Message.objects.get()
    charge = LedgerEntry.objects.get(service=api_service, kind=LedgerKind.CHARGE)
    assert charge.reference == f"charge:message:{message.pk}"
    assert charge.amount == -message.price < 0
    assert Service.objects.get(pk=api_service.pk).balance == Decimal("100.00") - message.price


def test_send_code_then_check_code_confirms_and_the_number_can_send(smsc, api_service, phone):
    refused = smsc("send", phones="48600100124", mes="Hi", sender=NUMBER, fmt=1)
    assert refused == "0,-6"  # allowed, but not confirmed yet
    smsc("senders", send_code=1, sender=NUMBER)
    deliver()

    assert smsc("senders", check_code=1, sender=NUMBER, code=code_sent_to(NUMBER)) == "OK"

    phone.refresh_from_db()
    assert phone.confirmed_at is not None
    sent_id, count = smsc("send", phones="48600100124", mes="Hi", sender=NUMBER, fmt=1).split(",")
    message = Message.objects.get(pk=int(sent_id))
    assert (count, message.sender, message.route) == ("1", NUMBER, Route.PREMIUM)


def test_a_confirmed_number_still_needs_staff_to_allow_it(smsc, api_service, simulator):
    pending = sender(api_service, NUMBER)
    smsc("senders", send_code=1, sender=NUMBER)
    deliver()
    smsc("senders", check_code=1, sender=NUMBER, code=code_sent_to(NUMBER))
    pending.refresh_from_db()
    assert pending.confirmed_at is not None

    assert smsc("send", phones="48600100124", mes="Hi", sender=NUMBER, fmt=1) == "0,-6"
    SenderId.objects.filter(pk=pending.pk).update(status=SenderStatus.ALLOWED)
    assert smsc("send", phones="48600100124", mes="Hi", sender=NUMBER, fmt=1).endswith(",1")


def test_send_code_for_a_name_is_error_7(smsc, api_service):
    sender(api_service, "Shop", SenderStatus.ALLOWED)

    assert smsc("senders", send_code=1, sender="Shop") == "ERROR = 7 (invalid number format)"
    assert not Message.objects.exists()


def test_send_code_for_a_number_not_registered_is_error_3(smsc, api_service):
    assert smsc("senders", send_code=1, sender=NUMBER, fmt=1) == "0,-3"


def test_a_second_send_code_within_8_hours_is_error_10(smsc, phone):
    assert smsc("senders", send_code=1, sender=NUMBER) == "OK"

    again = smsc("senders", send_code=1, sender=NUMBER)

    assert again == "ERROR = 10 (code already sent, retry after 8 hours)"
    assert Message.objects.count() == 1


def test_after_8_hours_a_new_code_can_be_sent(smsc, phone):
    smsc("senders", send_code=1, sender=NUMBER)
    earlier = timezone.now() - senders.CODE_INTERVAL - timedelta(seconds=1)
    SenderId.objects.filter(pk=phone.pk).update(code_sent_at=earlier)

    assert smsc("senders", send_code=1, sender=NUMBER) == "OK"
    assert Message.objects.count() == 2


def test_send_code_without_funds_is_error_8_and_keeps_no_code(smsc, api_service, phone):
    ledger.adjust(api_service.pk, -api_service.balance, note="test: no funds")
    assert Service.objects.get(pk=api_service.pk).balance == 0

    answer = smsc("senders", send_code=1, sender=NUMBER, fmt=3)

    assert answer == '{"error": "code cannot be delivered to this number", "error_code": 8}'
    phone.refresh_from_db()
    assert (phone.code_digest, phone.code_sent_at) == ("", None)
    assert not Message.objects.exists()
    ledger.top_up(api_service.pk, Decimal("5.00"), note="test: top-up")
    assert smsc("senders", send_code=1, sender=NUMBER) == "OK"
    assert Message.objects.count() == 1


def test_a_wrong_code_is_error_11(smsc, phone):
    smsc("senders", send_code=1, sender=NUMBER)
    deliver()
    wrong = f"{(int(code_sent_to(NUMBER)) + 1) % 1_000_000:06d}"

    assert smsc("senders", check_code=1, sender=NUMBER, code=wrong) == "ERROR = 11 (wrong code)"
    phone.refresh_from_db()
    assert phone.confirmed_at is None


def test_check_code_before_any_code_was_sent_is_error_11(smsc, phone):
    assert smsc("senders", check_code=1, sender=NUMBER, code="123456", fmt=1) == "0,-11"


def test_after_five_wrong_codes_even_the_right_one_is_refused(smsc, phone):
    smsc("senders", send_code=1, sender=NUMBER)
    deliver()
    right = code_sent_to(NUMBER)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = [
        smsc("senders", check_code=1, sender=NUMBER, code=wrong, fmt=1)
        for _ in range(senders.CODE_TRIES)
    ]

    assert senders.CODE_TRIES == 5
    assert answers == ["0,-11"] * 5
    assert smsc("senders", check_code=1, sender=NUMBER, code=right, fmt=1) == "0,-11"
    phone.refresh_from_db()
    assert phone.confirmed_at is None


def test_four_wrong_codes_then_the_right_one_confirms(smsc, phone):
    smsc("senders", send_code=1, sender=NUMBER)
    deliver()
    right = code_sent_to(NUMBER)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(4):
        smsc("senders", check_code=1, sender=NUMBER, code=wrong)

    assert smsc("senders", check_code=1, sender=NUMBER, code=right) == "OK"
    phone.refresh_from_db()
    assert phone.confirmed_at is not None
