"""``manage.py smtpd`` as a process: it serves, and SIGTERM lets sessions in flight finish."""

import signal
import smtplib
import time

import pytest

from mailbridge.models import InboundMail, Outcome
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail
from tests.workers import free_port, kill, start_smtpd, stop_gpg_agent, wait_for_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"])
def smtpd(request, tmp_path):
    port = free_port()
    home = tmp_path / "gnupg"
    process = start_smtpd(port, request.param, SMS2EMAIL_GNUPG_HOME=home)
    try:
        wait_for_port(port, timeout=60)
        yield process, port
    finally:
        if process.poll() is None:
            kill(process)  # no chance to stop its gpg-agent: stopped here
        stop_gpg_agent(home)


def test_sigterm_lets_the_session_in_flight_finish_then_exits(smtpd, mail_service):
    process, port = smtpd
    client = smtplib.SMTP("127.0.0.1", port, timeout=20)
    client.ehlo()
    client.mail(SENDER)
    client.rcpt(f"box@{domain()}")
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # the listener has had the signal: it takes no new session...
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=5)
    assert process.poll() is None  # ...and waits for this one
    code, _ = client.data(mail(f"{PASSWORD}\n601123456\n---\nW trakcie zamykania\nEND"))
    assert code == 250
    client.quit()
    assert process.wait(timeout=30) == 0
    row = InboundMail.objects.get()
    assert row.outcome == Outcome.SENT
    assert row.message.text == "W trakcie zamykania"


def test_the_first_start_makes_the_platform_pgp_key(smtpd, tmp_path):
    import gnupg

    keyring = gnupg.GPG(gnupghome=str(tmp_path / "gnupg"))
    secret = [key for key in keyring.list_keys(secret=True) if "E" in key.get("cap", "")]
    assert len(secret) == 1  # made before the listener took its first connection
