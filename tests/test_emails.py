"""The platform's mail to people (templates/emails/, lib.emails): each reads in Polish
and in English, a string left without its Polish would show, and a mail to someone whose
language is not known carries both, Polish first."""

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import loader
from django.template.defaulttags import AutoEscapeControlNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode
from django.utils import translation

from accounts.models import SenderStatus
from lib.emails import render_email

EMAILS = Path(__file__).resolve().parent.parent / "templates" / "emails"

# A name a customer typed, with what an HTML template would escape: mail is plain text.
SERVICE = SimpleNamespace(name='Sklep & "Ala" <b>', pk=7)
MODERATED = [
    SimpleNamespace(name="Shop", status=SenderStatus.ALLOWED),
    SimpleNamespace(name="Ala&Co", status=SenderStatus.DISABLED),
]

LINK = "https://panel.example/sms2email/confirm/t0k3n/?a=1&b=2"

# name: (context, {language: (a phrase of the subject, a phrase of the body)}, the mail
# as a recipient whose language is not known gets it)
CASES = {
    "service_activated": (
        {"service": SERVICE},
        {
            "pl": ("Usługa Sklep", "została aktywowana i może wysyłać SMS"),
            "en": ("Service Sklep", "is now active and can send SMS"),
        },
        (
            'Usługa Sklep & "Ala" <b> jest aktywna / Service Sklep & "Ala" <b> is active',
            'Usługa Sklep & "Ala" <b> (#7) została aktywowana i może wysyłać SMS.\n'
            "\n"
            'Service Sklep & "Ala" <b> (#7) is now active and can send SMS.\n',
        ),
    ),
    "senders_moderated": (
        {"service": SERVICE, "senders": MODERATED, "allowed": SenderStatus.ALLOWED},
        {
            "pl": ("Nazwy nadawcy usługi", "- Shop: dopuszczona do użytku\n- Ala&Co: wyłączona"),
            "en": ("Sender names of service", "- Shop: allowed\n- Ala&Co: disabled"),
        },
        (
            'Nazwy nadawcy usługi Sklep & "Ala" <b> / Sender names of service Sklep & "Ala" <b>',
            'Moderacja nazw nadawcy usługi Sklep & "Ala" <b> (#7):\n'
            "- Shop: dopuszczona do użytku\n"
            "- Ala&Co: wyłączona\n"
            "\n"
            'Sender names of service Sklep & "Ala" <b> (#7):\n'
            "- Shop: allowed\n"
            "- Ala&Co: disabled\n",
        ),
    ),
    "failed_sign_ins": (
        {"minutes": 15, "failures": 10, "name": "alice", "addresses": ["198.51.100.1", "::/64"]},
        {
            "pl": ("Nieudane logowania", "było 10 nieudanych prób logowania"),
            "en": ("Failed sign-ins", "there were 10 failed attempts to sign in"),
        },
        (
            "Nieudane logowania do panelu SMS / Failed sign-ins to the SMS panel",
            "W ciągu ostatnich 15 minut było 10 nieudanych prób logowania do panelu SMS na "
            "konto alice, z adresów:\n"
            "  198.51.100.1\n"
            "  ::/64\n"
            "\n"
            "Jeśli to nie Ty, ktoś próbuje odgadnąć Twoje hasło. Kolejne próby są "
            "spowalniane, a Ty nadal możesz się zalogować. Zmień hasło na długie, używane "
            "tylko tutaj (Zmień hasło w panelu), i napisz do nas, jeśli coś Cię niepokoi. "
            "Jeśli to Ty, nic nie musisz robić.\n"
            "\n"
            "In the last 15 minutes there were 10 failed attempts to sign in to the SMS "
            "panel as alice, from:\n"
            "  198.51.100.1\n"
            "  ::/64\n"
            "\n"
            "If this was not you, someone is guessing your password. Further attempts are "
            "slowed down, and you can still sign in. Change your password to a long one "
            "used nowhere else (Change password in the panel), and write to us if anything "
            "worries you. If it was you, there is nothing to do.\n",
        ),
    ),
    "confirm_address": (
        {"address": "anna@firma.pl", "service_id": 7, "link": LINK, "days": 7},
        {
            "pl": ("Potwierdź adres", "otwórz ten link i potwierdź adres:\n" + LINK),
            "en": ("Confirm the address", "open this link and confirm the address:\n" + LINK),
        },
        (
            "Potwierdź adres: SMS-y przychodzące usługi nr 7 / "
            "Confirm the address: incoming SMS of service no. 7",
            "Klient naszej platformy SMS dodał adres anna@firma.pl do odbiorców SMS-ów "
            "przychodzących (i raportów doręczenia) swojej usługi nr 7.\n"
            "\n"
            "Jeśli chcesz je dostawać, otwórz ten link i potwierdź adres:\n"
            f"{LINK}\n"
            "\n"
            "Jeśli nie, nic nie rób: bez potwierdzenia nie wyślemy na ten adres nic więcej. "
            "Link działa przez 7 dni.\n"
            "\n"
            "A customer of our SMS platform added anna@firma.pl to the recipients of incoming "
            "SMS (and delivery reports) of their service no. 7.\n"
            "\n"
            "If you want them, open this link and confirm the address:\n"
            f"{LINK}\n"
            "\n"
            "If not, do nothing: without a confirmation nothing more is sent to this address. "
            "The link works for 7 days.\n",
        ),
    ),
    "low_balance": (
        {"service": SERVICE, "balance": Decimal("1234.5678"), "threshold": Decimal("2000")},
        {
            "pl": (
                "Niskie saldo usługi",
                "wynosi 1\xa0234,57 zł i spadło poniżej progu 2\xa0000,00 zł",
            ),
            "en": ("Low balance of service", "is 1,234.57 PLN, below the 2,000.00 PLN"),
        },
        (
            'Niskie saldo usługi Sklep & "Ala" <b> / Low balance of service Sklep & "Ala" <b>',
            'Saldo usługi Sklep & "Ala" <b> (#7) wynosi 1\xa0234,57 zł i spadło poniżej progu '
            "2\xa0000,00 zł, który ustawiono dla tego powiadomienia.\n"
            "\n"
            "Doładuj je, aby wiadomości nadal wychodziły. Nie napiszemy o tym ponownie, dopóki "
            "saldo nie wróci do co najmniej 2\xa0000,00 zł.\n"
            "\n"
            'The balance of service Sklep & "Ala" <b> (#7) is 1,234.57 PLN, below the '
            "2,000.00 PLN you asked to be alerted at.\n"
            "\n"
            "Top it up so that your messages keep going out. We will not write about it again "
            "until the balance is back at 2,000.00 PLN or more.\n",
        ),
    ),
}


def test_every_mail_is_tested_here():
    names = {path.name.removesuffix(".txt") for path in EMAILS.glob("*.txt")}
    assert names == set(CASES) | {f"{name}_subject" for name in CASES}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("language", ["pl", "en"])
def test_a_mail_reads_in_each_language(name, language):
    context, words, _both = CASES[name]
    other = "en" if language == "pl" else "pl"
    subject, body = render_email(name, context, language)
    assert words[language][0] in subject and words[language][1] in body
    assert words[other][0] not in subject and words[other][1] not in body


@pytest.mark.parametrize("name", CASES)
def test_a_mail_to_someone_whose_language_is_unknown_has_both(name):
    context, _words, both = CASES[name]
    assert render_email(name, context) == both


@pytest.mark.parametrize(
    ("failures", "polish", "english"),
    [
        (1, "była 1 nieudana próba", "there was 1 failed attempt to"),
        (3, "były 3 nieudane próby", "there were 3 failed attempts"),
        (22, "były 22 nieudane próby", "there were 22 failed attempts"),
        (12, "było 12 nieudanych prób", "there were 12 failed attempts"),
    ],
)
def test_a_count_takes_its_plural_form(failures, polish, english):
    context = {"minutes": 15, "failures": failures, "name": "alice", "addresses": []}
    assert polish in render_email("failed_sign_ins", context, "pl")[1]
    assert english in render_email("failed_sign_ins", context, "en")[1]


@pytest.mark.parametrize(("days", "polish"), [(1, "1 dzień."), (3, "3 dni."), (7, "7 dni.")])
def test_the_days_a_link_works_take_their_plural_form(days, polish):
    context = {"address": "anna@firma.pl", "service_id": 7, "link": LINK, "days": days}
    assert f"Link działa przez {polish}" in render_email("confirm_address", context, "pl")[1]
    english = "1 day." if days == 1 else f"{days} days."
    assert f"The link works for {english}" in render_email("confirm_address", context, "en")[1]


def test_no_address_is_a_dash():
    context = {"minutes": 15, "failures": 10, "name": "alice", "addresses": []}
    assert "from:\n  -\n\nIf this" in render_email("failed_sign_ins", context, "en")[1]


def _literal(expression) -> str | None:
    return expression and expression.resolve({})


def _messages(template_name: str):
    """The (context, singular, plural) of each string the template marks for translation."""
    nodelist = loader.get_template(template_name).template.nodelist
    for node in nodelist.get_nodes_by_type(TranslateNode):
        yield _literal(node.message_context), node.filter_expression.var.literal, None
    for node in nodelist.get_nodes_by_type(BlockTranslateNode):
        context = _literal(node.message_context)
        plural = node.render_token_list(node.plural)[0] if node.plural else None
        yield context, node.render_token_list(node.singular)[0], plural


@pytest.mark.parametrize("path", sorted(EMAILS.glob("*.txt")), ids=lambda path: path.name)
def test_every_string_of_a_mail_has_its_polish(path):
    messages = list(_messages(f"emails/{path.name}"))
    assert messages, "a mail's words are marked for translation"
    with translation.override("pl"):
        for context, singular, plural in messages:
            if plural:
                for n in (1, 2, 5):
                    english = singular if n == 1 else plural
                    polish = (
                        translation.npgettext(context, singular, plural, n)
                        if context
                        else translation.ngettext(singular, plural, n)
                    )
                    assert polish != english
            elif context:
                assert translation.pgettext(context, singular) != singular
            else:
                assert translation.gettext(singular) != singular


@pytest.mark.parametrize("path", sorted(EMAILS.glob("*.txt")), ids=lambda path: path.name)
def test_every_mail_template_writes_plain_text(path):
    # Mail is plain text: a value added later must not come out as &amp; or &quot;.
    nodelist = loader.get_template(f"emails/{path.name}").template.nodelist
    switches = nodelist.get_nodes_by_type(AutoEscapeControlNode)
    assert switches and all(not node.setting for node in switches)
