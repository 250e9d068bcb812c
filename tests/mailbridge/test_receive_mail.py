"""``manage.py receive_mail``: one mail on standard input, as an MTA's pipe gives it."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from mailbridge.models import InboundMail, Outcome
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail

ROOT = Path(__file__).resolve().parents[2]


def receive(monkeypatch, raw, *args):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("receive_mail", *args)


@pytest.mark.django_db
def test_the_same_mail_through_the_pipe_is_sent(monkeypatch, mail_service):
    raw = mail(f"{PASSWORD}\nflash\n601123456\n---\nZ potoku\nEND")
    receive(monkeypatch, raw, "--sender", SENDER, "--recipient", f"box@{domain()}")
    message = Message.objects.get()
    assert message.text == "Z potoku" and message.flash
    assert list(message.recipients.values_list("number", flat=True)) == ["48601123456"]


@pytest.mark.django_db
def test_without_envelope_arguments_the_headers_say_who_and_to_whom(monkeypatch, mail_service):
    receive(monkeypatch, mail(f"{PASSWORD}\n---\nHej", to=f"601123456@{domain()}"))
    assert InboundMail.objects.get().outcome == Outcome.SENT


@pytest.mark.django_db
def test_a_second_delivery_of_the_same_mail_sends_nothing(monkeypatch, mail_service):
    raw = mail(f"{PASSWORD}\n601123456\n---\nRaz")
    for _ in range(3):
        receive(monkeypatch, raw, "--sender", SENDER, "--recipient", f"box@{domain()}")
    assert Message.objects.count() == 1


def test_a_database_that_cannot_be_reached_exits_75_so_the_mta_retries(tmp_path):
    raw = mail(f"{PASSWORD}\n601123456\n---\nHej")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"}
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "receive_mail",
            "--sender",
            SENDER,
            "--recipient",
            f"box@{domain()}",
        ],
        cwd=ROOT,
        input=raw,
        env=env,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 75, result.stderr.decode()
    assert b"Temporarily unable" in result.stderr
