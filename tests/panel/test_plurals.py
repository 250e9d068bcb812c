"""Where the panel's messages count things, they take the plural form of the count,
in English (1 / 2) and in Polish (1 / 2–4, 22 / 5, 12)."""

import pytest
from django.utils import translation

from messaging import services
from panel import login, sending
from panel.forms import ThrottledLoginForm


@pytest.mark.parametrize(
    ("n", "english", "polish"),
    [
        (1, "At most 1 recipient in", "Najwyżej 1 odbiorca w"),
        (2, "At most 2 recipients in", "Najwyżej 2 odbiorców w"),
        (5, "At most 5 recipients in", "Najwyżej 5 odbiorców w"),
    ],
)
def test_at_most_n_recipients(settings, n, english, polish):
    settings.MAX_RECIPIENTS_PER_MESSAGE = n
    assert sending.refusal(services.TooManyRecipients())[1].startswith(english)
    with translation.override("pl"):
        assert sending.refusal(services.TooManyRecipients())[1].startswith(polish)


@pytest.mark.parametrize(
    ("seconds", "english", "polish"),
    [
        (60, "Wait 1 minute and", "Odczekaj 1 minutę i"),
        (120, "Wait 2 minutes and", "Odczekaj 2 minuty i"),
        (300, "Wait 5 minutes and", "Odczekaj 5 minut i"),
        (22 * 60, "Wait 22 minutes and", "Odczekaj 22 minuty i"),
    ],
)
def test_the_sign_in_wait_in_minutes(seconds, english, polish):
    refused = login.Refused(login.Refused.ADDRESS, seconds)
    assert english in ThrottledLoginForm._refusal(refused).messages[0]
    with translation.override("pl"):
        assert polish in ThrottledLoginForm._refusal(refused).messages[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("numbers", "language", "words"),
    [
        (1, "en", "1 recipient cancelled;"),
        (2, "en", "2 recipients cancelled;"),
        (1, "pl", "Anulowano wysyłkę do 1 odbiorcy;"),
        (2, "pl", "Anulowano wysyłkę do 2 odbiorców;"),
    ],
)
def test_recipients_cancelled(service, numbers, language, words):
    from django.test import Client

    from tests.panel.test_confirm import scheduled_message

    message = scheduled_message(service, numbers)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    cancel = f"/services/{service.pk}/messages/{message.pk}/cancel/"
    response = client.post(cancel, {"confirm": "yes"}, follow=True)
    assert words in response.content.decode()
