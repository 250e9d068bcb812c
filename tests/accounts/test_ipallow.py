import pytest

from accounts.ipallow import InvalidEntry, canonical


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("203.0.113.7/32", "203.0.113.7"),
        ("192.0.2.0/24", "192.0.2.0/24"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:db8:0:0::/64", "2001:db8::/64"),
    ],
)
def test_canonical_form(text, stored):
    assert canonical(text) == stored


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "Enter an IPv4 or IPv6 address"),
        ("300.1.1.1", "is not an IP address"),
        ("example.com", "is not an IP address"),
        ("192.0.2.0/33", "is not an IP address"),
        ("192.0.2.5/24", "did you mean 192.0.2.0/24"),
        ("2001:db8::1/32", "did you mean 2001:db8::/32"),
    ],
)
def test_malformed_entries_are_refused_with_a_hint(text, hint):
    with pytest.raises(InvalidEntry, match=hint):
        canonical(text)
