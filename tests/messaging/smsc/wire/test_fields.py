"""messaging.smsc.wire's requests: fields decoded in the charset the client names,
lists, ``fmt`` and the other choices, as SMSC clients send them."""

from urllib.parse import quote

import pytest

from messaging.smsc import wire
from messaging.smsc.wire import WireError

from .samples import CYRILLIC

# -- reading a request --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "codec"),
    [(None, "cp1251"), ("windows-1251", "cp1251"), ("koi8-r", "koi8_r"), ("utf-8", "utf-8")],
)
def test_read_fields_decodes_mes_in_the_named_charset(charset, codec):
    query = "mes=" + quote(CYRILLIC.encode(codec)) + (f"&charset={charset}" if charset else "")
    fields, answer_charset = wire.read_fields(query.encode("ascii"), b"")
    assert fields["mes"] == CYRILLIC
    assert answer_charset == (charset or "windows-1251")


def test_read_fields_without_charset_reads_windows_1251_not_utf_8():
    query = "mes=" + quote(CYRILLIC.encode("utf-8"))
    fields, _ = wire.read_fields(query.encode("ascii"), b"")
    assert fields["mes"] == CYRILLIC.encode("utf-8").decode("cp1251")


def test_read_fields_charset_in_the_body_applies_to_the_query():
    query = ("mes=" + quote(CYRILLIC.encode("koi8_r"))).encode("ascii")
    fields, charset = wire.read_fields(query, b"charset=koi8-r")
    assert (fields["mes"], charset) == (CYRILLIC, "koi8-r")


def test_read_fields_body_wins_over_query():
    fields, _ = wire.read_fields(b"mes=from+query&fmt=1&login=q", b"mes=from+body&fmt=3")
    assert fields == {"mes": "from body", "fmt": "3", "login": "q"}


@pytest.mark.parametrize(("charset", "codec"), [("utf-8", "utf-8"), ("koi8-r", "koi8_r")])
def test_read_fields_unescaped_bytes_are_in_the_charset_too(charset, codec):
    # curl -d 'mes=Привет, мир' sends the bytes as they are.
    body = b"mes=" + CYRILLIC.encode(codec) + b"&charset=" + charset.encode()
    fields, _ = wire.read_fields(b"", body)
    assert fields["mes"] == CYRILLIC


def test_read_fields_unknown_charset():
    fields, charset = wire.read_fields(b"charset=cp866&mes=Hi", b"")
    assert charset == "windows-1251"
    assert fields["mes"] == "Hi"
    with pytest.raises(WireError) as refused:
        wire.charset_name(fields["charset"])
    assert refused.value.code == 1


def test_read_fields_unknown_charset_stays_unknown_however_it_decodes():
    # "KOI8-R" with a Kelvin sign: lower() of the UTF-8 reading would be "koi8-r".
    query = "charset=" + quote("\u212aOI8-R".encode())
    fields, charset = wire.read_fields(query.encode("ascii"), b"")
    assert charset == "windows-1251"
    with pytest.raises(WireError):
        wire.charset_name(fields["charset"])


@pytest.mark.parametrize(
    "query", [b"login=l%00&psw=p%00w&mes=a%00b", b"charset=x&psw=p%00w&mes=a%00b"]
)
def test_read_fields_removes_nul_from_mes_but_not_from_credentials(query):
    fields, _ = wire.read_fields(query, b"")
    assert fields["mes"] == "ab"
    assert fields["psw"] == "p\x00w"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "windows-1251"),
        ("", "windows-1251"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        (" koi8-r ", "koi8-r"),
        ("KOI8R", "koi8-r"),
        ("cp1251", "windows-1251"),
    ],
)
def test_charset_name(value, name):
    assert wire.charset_name(value) == name


# -- fields: lists, fmt, choices ----------------------------------------------------------------


def test_split_list():
    assert wire.split_list("48600100123") == ["48600100123"]
    assert wire.split_list("48600100123,") == ["48600100123"]
    assert wire.split_list("1,2") == ["1", "2"]
    assert wire.split_list(" 1 , 2 ,") == ["1", "2"]


def test_is_list_trailing_comma_keeps_the_list_form():
    assert wire.is_list("48600100123,")
    assert wire.is_list("1,2")
    assert not wire.is_list("48600100123")


@pytest.mark.parametrize(("fields", "fmt"), [({}, 0), ({"fmt": ""}, 0), ({"fmt": " 2 "}, 2)])
def test_fmt_of(fields, fmt):
    assert wire.fmt_of(fields) == fmt


@pytest.mark.parametrize("value", ["0", "1", "2", "3"])
def test_fmt_of_accepts_0_to_3(value):
    assert wire.fmt_of({"fmt": value}) == int(value)


@pytest.mark.parametrize("value", ["4", "x", "-1", "²"])
def test_fmt_of_refuses_others_with_error_1(value):
    with pytest.raises(WireError) as refused:
        wire.fmt_of({"fmt": value})
    assert refused.value.code == 1


def test_choice():
    assert wire.choice({}, "all", (0, 1, 2)) == 0
    assert wire.choice({"all": ""}, "all", (0, 1, 2), default=1) == 1
    assert wire.choice({"all": " 2 "}, "all", (0, 1, 2)) == 2


@pytest.mark.parametrize("value", ["3", "x", "-1", "²"])
def test_choice_refuses_others_with_error_1(value):
    with pytest.raises(WireError) as refused:
        wire.choice({"all": value}, "all", (0, 1, 2))
    assert refused.value.code == 1


def test_flag():
    assert wire.flag({"del": "1"}, "del")
    assert not wire.flag({"del": "0"}, "del")
    assert not wire.flag({"del": "yes"}, "del")
    assert not wire.flag({}, "del")
