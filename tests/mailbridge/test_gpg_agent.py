"""No gpg-agent outlives the processes that use the platform key (mailbridge.pgp).

gpg starts an agent per keyring for any use of a secret key, and the agent stays
after the process that started it exits. Each process below runs on a keyring
of its own, so an agent left running is found by its ``--homedir``.
"""

import os
import signal
import smtplib
import subprocess
import sys
from io import StringIO
from pathlib import Path

import gnupg
import pytest
from django.core.management import call_command
from django.db import connection

from mailbridge import pgp
from mailbridge.models import InboundMail, Outcome
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail
from tests.workers import (
    BASE_DIR,
    free_port,
    gpg_agents,
    kill,
    no_gpg_agent_left,
    process_database_url,
    start_smtpd,
    stop_gpg_agent,
    wait_for_port,
)

REQUEST = f"{PASSWORD}\n601123456\n---\nZaszyfrowany\nEND"


def environment(home: Path) -> dict:
    # On SQLite these tests start only commands that reach no database.
    url = "sqlite:///unused.sqlite3" if connection.vendor == "sqlite" else process_database_url()
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SMS2EMAIL_GNUPG_HOME": str(home),
        "LOG_LEVEL": "WARNING",
    }


def manage(home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        input=stdin,
        env=environment(home),
        cwd=BASE_DIR,
        capture_output=True,
        timeout=120,
        check=True,
    )


def encrypted_request(home: Path, client_home: Path) -> bytes:
    """A mail whose text is REQUEST, encrypted to the platform key of ``home``."""
    public = manage(home, "sms2email_key").stdout.decode()
    client_home.mkdir(mode=0o700)
    client = gnupg.GPG(gnupghome=str(client_home))
    [fingerprint] = client.import_keys(public).fingerprints
    armour = str(client.encrypt(REQUEST.encode(), fingerprint, always_trust=True))
    stop_gpg_agent(client_home)
    return mail(armour)


def test_making_the_key_leaves_no_agent(tmp_path):
    home = tmp_path / "gnupg"
    fingerprint = manage(home, "sms2email_key", "--create").stdout.decode().strip()
    assert len(fingerprint) == 40
    assert no_gpg_agent_left(home)


@pytest.mark.django_db
def test_seed_demo_leaves_no_agent(tmp_path, settings):
    home = tmp_path / "gnupg"
    settings.SMS2EMAIL_GNUPG_HOME = home
    call_command("seed_demo", json=True, stdout=StringIO())
    assert no_gpg_agent_left(home)


def test_finding_the_key_starts_no_agent(tmp_path, settings):
    home = tmp_path / "gnupg"
    manage(home, "sms2email_key", "--create")
    settings.SMS2EMAIL_GNUPG_HOME = home
    assert pgp.public_key().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert gpg_agents(home) == []  # what /sms2email/key.asc does in every web process


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_receive_mail_decrypts_then_leaves_no_agent(tmp_path, mail_service):
    home = tmp_path / "gnupg"
    raw = encrypted_request(home, tmp_path / "client")
    manage(home, "receive_mail", "--sender", SENDER, "--recipient", f"box@{domain()}", stdin=raw)
    assert InboundMail.objects.get().outcome == Outcome.SENT
    assert no_gpg_agent_left(home)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("processes", [1, 2])
def test_the_smtp_listener_leaves_no_agent_when_stopped(tmp_path, mail_service, processes):
    home = tmp_path / "gnupg"
    raw = encrypted_request(home, tmp_path / "client")
    port = free_port()
    listener = start_smtpd(port, processes, SMS2EMAIL_GNUPG_HOME=home)
    try:
        wait_for_port(port, timeout=60)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.sendmail(SENDER, [f"box@{domain()}"], raw)
        assert InboundMail.objects.get().outcome == Outcome.SENT
        assert gpg_agents(home)  # decrypting started one
        listener.send_signal(signal.SIGTERM)
        assert listener.wait(timeout=60) == 0
    finally:
        if listener.poll() is None:
            kill(listener)
    assert no_gpg_agent_left(home)
