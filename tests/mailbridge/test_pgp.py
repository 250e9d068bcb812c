"""PGP mail in (seed 000 §3.4.1, §3.5): the platform key, key.asc, decrypting both forms.

The platform keyring is the run's (tests/conftest.py); the customer's mail
client is a keyring of its own that imports our public key from key.asc, and
holds a stranger's key to encrypt to by mistake.
"""

import email.policy
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from io import StringIO

import gnupg
import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.test import Client

from mailbridge import checks, intake, pgp, replies
from mailbridge.models import InboundMail, Outcome
from mailbridge.smtp import Running
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail
from tests.workers import stop_gpg_agent

POLISH = "Zażółć gęślą jaźń"


def _keyring(path) -> gnupg.GPG:
    path.chmod(0o700)
    gpg = gnupg.GPG(gnupghome=str(path))
    gpg.encoding = "utf-8"
    return gpg


def _make_key(gpg, name, address) -> str:
    made = gpg.gen_key(
        gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            subkey_type="ECDH",
            subkey_curve="cv25519",
            no_protection=True,
            name_real=name,
            name_email=address,
        )
    )
    assert made.fingerprint, made.stderr
    return made.fingerprint


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """(our fingerprint, the customer's mail client, a stranger's fingerprint)."""
    ours = pgp.ensure_key()
    home = tmp_path_factory.mktemp("mail-client")
    client = _keyring(home)
    response = Client().get("/sms2email/key.asc")
    imported = client.import_keys(response.content.decode())
    assert imported.fingerprints == [ours]
    client.trust_keys([ours], "TRUST_ULTIMATE")
    customer = _make_key(client, "Jan Kowalski", SENDER)
    stranger = _make_key(client, "Obcy", "obcy@example.com")
    yield ours, client, customer, stranger
    stop_gpg_agent(home)


def encrypted(keys, text: str | bytes, *, to=None, sign=False) -> str:
    ours, client, customer, _stranger = keys
    data = text.encode() if isinstance(text, str) else text
    result = client.encrypt(
        data, to or ours, armor=True, always_trust=True, sign=customer if sign else None
    )
    assert result.ok, result.stderr
    return str(result)


def pgp_mime(armour: str, *, to=None) -> bytes:
    """An RFC 3156 multipart/encrypted mail, as Thunderbird writes one."""
    message = EmailMessage()
    message["From"] = f"Jan Kowalski <{SENDER}>"
    message["To"] = to or f"box@{domain()}"
    message["Subject"] = "Zamówienie"
    message["Message-ID"] = make_msgid(domain="firma.pl")
    message["MIME-Version"] = "1.0"
    control = EmailMessage()
    control.set_content(
        b"Version: 1\n", maintype="application", subtype="pgp-encrypted", cte="7bit"
    )
    data = EmailMessage()
    data.set_content(
        armour.encode(),
        maintype="application",
        subtype="octet-stream",
        cte="7bit",
        disposition="inline",
        filename="encrypted.asc",
    )
    message["Content-Type"] = 'multipart/encrypted; protocol="application/pgp-encrypted"'
    message.set_payload([control, data])
    return message.as_bytes(policy=email.policy.SMTP)  # CRLF, as on the wire


def mime_entity(text: str) -> bytes:
    """The plaintext of a PGP/MIME mail: a text/plain MIME part in UTF-8."""
    part = EmailMessage()
    part.set_content(text, charset="utf-8")
    return part.as_bytes()


def handle(raw, to=None):
    return intake.handle(raw, envelope_sender=SENDER, recipients=[to or f"box@{domain()}"])


def only_row():
    return InboundMail.objects.get()


@pytest.fixture
def pgp_required(mail_service):
    mail_service.sms2email.require_pgp = True
    mail_service.sms2email.save()
    return mail_service


REQUEST = f"{PASSWORD}\n601123456\n---\n{POLISH}\nEND"


# intake


@pytest.mark.django_db
def test_pgp_required_refuses_a_plain_mail_and_sends_an_encrypted_one(pgp_required, keys):
    handle(mail(REQUEST))
    handle(mail(encrypted(keys, REQUEST)))
    outcomes = list(InboundMail.objects.order_by("id").values_list("outcome", "reason"))
    assert outcomes == [(Outcome.REFUSED, intake.PGP_REQUIRED), (Outcome.SENT, "")]
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_inline_armour_is_decrypted_and_sent_with_polish_letters(pgp_required, keys):
    [row] = handle(mail(f"Wysłane z telefonu\n{encrypted(keys, REQUEST)}-- \nJan"))
    assert row.outcome == Outcome.SENT
    message = Message.objects.get()
    assert message.text == POLISH and message.encoding == "UCS-2"
    assert list(message.recipients.values_list("number", flat=True)) == ["48601123456"]


@pytest.mark.django_db
def test_pgp_mime_is_decrypted_and_sent_with_polish_letters(pgp_required, keys):
    [row] = handle(pgp_mime(encrypted(keys, mime_entity(REQUEST))))
    assert row.outcome == Outcome.SENT
    assert Message.objects.get().text == POLISH


@pytest.mark.django_db
def test_inline_plaintext_is_read_in_the_charset_of_its_part(pgp_required, keys):
    armour = encrypted(keys, REQUEST.encode("iso-8859-2"))
    handle(mail(armour, charset="iso-8859-2"))
    assert Message.objects.get().text == POLISH


@pytest.mark.django_db
def test_a_mail_signed_by_a_key_we_do_not_have_is_still_decrypted(pgp_required, keys):
    # gpg exits 2 when it cannot check the signature; the decryption itself is good.
    handle(pgp_mime(encrypted(keys, mime_entity(REQUEST), sign=True)))
    assert only_row().outcome == Outcome.SENT


@pytest.mark.django_db
def test_encrypted_mail_is_accepted_when_pgp_is_not_required(mail_service, keys):
    assert not mail_service.sms2email.require_pgp
    handle(mail(encrypted(keys, REQUEST)))
    assert only_row().outcome == Outcome.SENT


@pytest.mark.django_db
def test_the_password_line_inside_the_encryption_passes_password_mode(pgp_required, keys):
    settings_row = pgp_required.sms2email
    settings_row.accept_unsecured = False
    settings_row.accept_password = True
    settings_row.accept_md5 = False
    settings_row.save()
    handle(mail(encrypted(keys, "zle-haslo\n601123456\n---\nHej")))
    handle(pgp_mime(encrypted(keys, mime_entity(f"{PASSWORD}\n601123456\n---\nHej"))))
    outcomes = list(InboundMail.objects.order_by("id").values_list("outcome", "reason"))
    assert outcomes == [(Outcome.REFUSED, "wrong_password"), (Outcome.SENT, "")]


@pytest.mark.django_db
def test_a_mail_encrypted_to_a_key_not_ours_is_refused_with_one_reply(pgp_required, keys):
    stranger = keys[3]
    handle(pgp_mime(encrypted(keys, mime_entity(REQUEST), to=stranger)))
    row = only_row()
    assert (row.outcome, row.reason, row.code) == (Outcome.REFUSED, intake.PGP_NOT_OURS, None)
    assert Message.objects.count() == 0
    replies.send_due()
    [reply] = outbox.outbox
    assert "/sms2email/key.asc" in reply.body


@pytest.mark.parametrize("kind", ["damaged", "signed_only", "symmetric"])
@pytest.mark.django_db
def test_a_pgp_message_our_key_did_not_decrypt_is_refused(pgp_required, keys, kind):
    _ours, client, customer, _stranger = keys
    if kind == "damaged":
        lines = encrypted(keys, REQUEST).splitlines()
        lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
        armour = "\n".join(lines) + "\n"
    elif kind == "signed_only":  # armoured like an encrypted one, but anyone can read it
        armour = str(client.sign(REQUEST.encode(), keyid=customer, clearsign=False))
    else:
        # s2k-mode 1: no key stretching, which takes gpg a second
        armour = str(
            client.encrypt(
                REQUEST.encode(),
                None,
                symmetric=True,
                passphrase="x",
                extra_args=["--s2k-mode", "1"],
            )
        )
    assert "BEGIN PGP MESSAGE" in armour
    handle(mail(armour))
    assert only_row().reason == intake.PGP_NOT_OURS
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_an_encryption_inside_the_encryption_is_refused(pgp_required, keys):
    inner = encrypted(keys, REQUEST)
    handle(pgp_mime(encrypted(keys, mime_entity(inner))))
    assert only_row().reason == intake.PGP_NESTED


@pytest.mark.django_db(transaction=True)
def test_pgp_mime_over_smtp_is_decrypted_and_sent(pgp_required, keys):
    raw = pgp_mime(encrypted(keys, mime_entity(REQUEST)))
    with Running() as running, smtplib.SMTP("127.0.0.1", running.port, timeout=10) as client:
        assert client.sendmail(SENDER, [f"box@{domain()}"], raw) == {}
    assert Message.objects.get().text == POLISH


# pgp


def test_decrypt_refuses_garbage(keys):
    assert pgp.decrypt(b"") is None
    armour = b"-----BEGIN PGP MESSAGE-----\n\nnonsense\n-----END PGP MESSAGE-----\n"
    assert pgp.decrypt(armour) is None


def test_decrypt_refuses_a_plaintext_over_the_mail_size_limit(keys, settings):
    # Compressed, 200 kB of one letter is a few hundred bytes of mail.
    settings.SMS2EMAIL_MAX_BYTES = 50_000
    assert pgp.decrypt(encrypted(keys, "a" * 50_000).encode()) == b"a" * 50_000
    with pytest.raises(pgp.TooLarge):
        pgp.decrypt(encrypted(keys, "a" * 200_000).encode())


def test_sms2email_key_create_makes_one_key_and_prints_it(tmp_path, settings):
    home = tmp_path / "new" / "gnupg"
    settings.SMS2EMAIL_GNUPG_HOME = home
    try:
        first, second, public = StringIO(), StringIO(), StringIO()
        call_command("sms2email_key", "--create", stdout=first)
        call_command("sms2email_key", "--create", stdout=second)
        call_command("sms2email_key", stdout=public)
    finally:
        stop_gpg_agent(home)
    fingerprint = first.getvalue().strip()
    assert len(fingerprint) == 40 and second.getvalue().strip() == fingerprint
    assert home.stat().st_mode & 0o777 == 0o700
    assert public.getvalue().startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in public.getvalue()


# key.asc


def test_key_asc_is_the_public_key_for_anyone(keys, tmp_path):
    response = Client().get("/sms2email/key.asc")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pgp-keys"
    assert response["Content-Disposition"] == 'inline; filename="sms2email.asc"'
    text = response.content.decode()
    assert "PRIVATE KEY" not in text
    fresh = _keyring(tmp_path)
    try:
        assert fresh.import_keys(text).fingerprints == [keys[0]]
        assert fresh.list_keys(secret=True) == []
        [key] = fresh.list_keys()
        assert f"box@{domain()}" in key["uids"][0]
    finally:
        stop_gpg_agent(tmp_path)


def test_key_asc_takes_only_get(keys):
    assert Client().post("/sms2email/key.asc").status_code == 405


def test_key_asc_makes_the_key_on_first_request(tmp_path, settings):
    settings.SMS2EMAIL_GNUPG_HOME = tmp_path / "gnupg"
    try:
        response = Client().get("/sms2email/key.asc")
    finally:
        stop_gpg_agent(tmp_path / "gnupg")
    assert response.status_code == 200
    assert b"BEGIN PGP PUBLIC KEY BLOCK" in response.content


@pytest.mark.django_db
def test_a_refusal_of_an_encrypted_mail_does_not_quote_what_was_encrypted(pgp_required, keys):
    from django.core import mail as outbox

    from mailbridge import replies

    handle(mail(encrypted(keys, f"{PASSWORD}\n999 888 77\n---\nHej\nEND")))
    row = only_row()
    assert row.reason == "invalid_number" and row.code == 401
    replies.send_due()
    [reply] = outbox.outbox
    assert "999 888 77" not in reply.body and "999 888 77" not in row.detail


# The keyring's old default (gnupg/ beside manage.py) still holding the key.


@pytest.fixture
def left_behind(tmp_path, settings):
    """An installation upgraded without moving gnupg/: the old folder holds a secret
    key, the configured keyring (var/gnupg) is empty."""
    settings.BASE_DIR = tmp_path
    settings.SMS2EMAIL_GNUPG_HOME = tmp_path / "var" / "gnupg"
    secrets = tmp_path / "gnupg" / "private-keys-v1.d"
    secrets.mkdir(parents=True)
    (secrets / "0123456789ABCDEF0123456789ABCDEF01234567.key").write_bytes(b"(key)")
    return tmp_path / "gnupg"


def test_no_new_key_is_made_while_the_old_keyring_holds_one(left_behind, settings):
    with pytest.raises(pgp.KeyLeftBehind, match="move that folder"):
        pgp.ensure_key()
    assert not any((settings.SMS2EMAIL_GNUPG_HOME).glob("private-keys-v1.d/*.key"))


def test_the_check_names_the_old_keyring(left_behind):
    [error] = checks.keyring_not_left_behind()
    assert error.id == "mailbridge.E002" and str(left_behind) in error.msg


def test_the_old_folder_is_fine_when_the_setting_names_it(left_behind, settings):
    settings.SMS2EMAIL_GNUPG_HOME = left_behind
    assert pgp.left_behind() is None
    assert checks.keyring_not_left_behind() == []


def test_the_old_folder_is_ignored_once_the_key_has_moved(left_behind, settings):
    moved = settings.SMS2EMAIL_GNUPG_HOME / "private-keys-v1.d"
    moved.mkdir(parents=True)
    (moved / "0123456789ABCDEF0123456789ABCDEF01234567.key").write_bytes(b"(key)")
    assert pgp.left_behind() is None
