"""Signing in to the panel and to admin (one rule for both): whose password is checked
now, and what a failure costs.

A lock on the username would let anyone who knows it keep its owner out, so:

- **An address** (an IPv6 one counts as its /64) that failed ``LOGIN_FAILURE_LIMIT``
  times in the window (``LOGIN_FAILURE_WINDOW``, from its first failure) is refused
  until the window ends, whatever it sends.
- **An address that has not failed** in the window has its password checked at once:
  the owner signs in from anywhere the guesser has not been. It gets one such check
  (taken atomically, so a burst from it gets one too); a success gives it back.
- **Any other address** waits for the username's turn: one password check at a time,
  and after the username's n-th failure in the window the next turn opens ``delay(n)``
  seconds later (1, 2, 4 … up to ``LOGIN_DELAY_MAX``). Until then it is told how long
  to wait and its password is not checked, so waiting costs no web worker and no
  answer tells whether a password was right.
- The ``LOGIN_FAILURE_LIMIT``-th failure for a username in a window e-mails the
  account's owner (staff too), once a window, with the addresses the failures came from.

So a guesser gets, for one username and window: one guess from each address it has,
then one per delay from all of them together, and at most ``LOGIN_FAILURE_LIMIT`` from
any one address.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail

from lib.clientaddress import address_group
from lib.emails import render_email
from lib.throttle import Pace, Throttle, cache_key

logger = logging.getLogger(__name__)

# The addresses a notice lists, at most.
NOTICE_ADDRESSES = 20


class Refused(Exception):
    """No password check now: ``reason`` says why, ``retry_after`` for how long (seconds)."""

    ADDRESS = "address"  # this address failed too often: refused until its window ends
    USERNAME = "username"  # the username is being guessed: wait for its next turn

    def __init__(self, reason: str, retry_after: int):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Attempt:
    """A password check allowed by ``admit``; report its outcome to ``failed`` or ``succeeded``."""

    group: str  # the address's group (lib.clientaddress.address_group)
    username: str
    fresh: bool  # the address had not failed: checked without taking the username's turn


def delay(failures: int, cap: int) -> int:
    """Seconds from a username's ``failures``-th failure to its next turn: 1, 2, 4 … ``cap``."""
    if failures <= 0:
        return 0
    return min(2 ** min(failures - 1, 30), cap)


def _throttle() -> Throttle:
    return Throttle("login", settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_WINDOW)


def _pace() -> Pace:
    return Pace("login", settings.LOGIN_FAILURE_WINDOW)


def _keys(group: str, username: str) -> tuple[str, str]:
    return f"ip:{group}", f"user:{username}"


def _fresh_key(group: str) -> str:
    return cache_key("login-fresh", "login", group)


def admit(address: str, username: str) -> Attempt:
    """May the password for ``username`` from ``address`` be checked now? Raises Refused."""
    group = address_group(address)
    address_key, username_key = _keys(group, username)
    throttle = _throttle()
    [failed_here] = throttle.counts(address_key)
    if failed_here >= throttle.limit:
        raise Refused(Refused.ADDRESS, throttle.retry_after(address_key))
    if failed_here == 0 and cache.add(_fresh_key(group), 1, throttle.window):
        return Attempt(group, username, fresh=True)
    wait = _pace().take(username_key)
    if wait:
        raise Refused(Refused.USERNAME, wait)
    return Attempt(group, username, fresh=False)


def failed(attempt: Attempt) -> None:
    """A wrong password: count it for the address and the username, push the turn back."""
    throttle = _throttle()
    username_key = _keys(attempt.group, attempt.username)[1]
    _, failures = throttle.count_failures(*_keys(attempt.group, attempt.username))
    _pace().next_turn(username_key, delay(failures, settings.LOGIN_DELAY_MAX))
    addresses = _remember_address(attempt, throttle.window)
    notice_key = cache_key("login-notice", "login", attempt.username)
    if failures >= throttle.limit and cache.add(notice_key, 1, throttle.window):
        tell_owner(attempt.username, failures, addresses)


def succeeded(attempt: Attempt) -> None:
    """The right password: give back what the check took."""
    if attempt.fresh:
        cache.delete(_fresh_key(attempt.group))
        return
    # The owner got in; a guesser's wait goes on as it was.
    username_key = _keys(attempt.group, attempt.username)[1]
    [failures] = _throttle().counts(username_key)
    _pace().next_turn(username_key, delay(failures, settings.LOGIN_DELAY_MAX))


def _remember_address(attempt: Attempt, window: int) -> list[str]:
    # For the notice only: a read and a write, so racing failures may drop one.
    key = cache_key("login-from", "login", attempt.username)
    addresses = cache.get(key, [])
    if attempt.group not in addresses and len(addresses) < NOTICE_ADDRESSES:
        addresses = [*addresses, attempt.group]
        cache.set(key, addresses, window)
    return addresses


def tell_owner(username: str, failures: int, addresses: list[str]) -> None:
    """E-mail the account behind ``username`` (if any, active, with an address) about the
    failures (templates/emails/failed_sign_ins*.txt), in its customer's language; staff,
    and a customer whose language is not known, read it in Polish and then English."""
    user_model = get_user_model()
    email_field = user_model.get_email_field_name()
    owners = (
        user_model._default_manager.filter(
            **{f"{user_model.USERNAME_FIELD}__iexact": username, "is_active": True}
        )
        .exclude(**{email_field: ""})
        # Customer.user's reverse side: None for a login without a customer.
        .values_list(user_model.USERNAME_FIELD, email_field, "customer__language")
    )
    minutes = max(1, settings.LOGIN_FAILURE_WINDOW // 60)
    for name, email, language in owners:
        context = {"minutes": minutes, "failures": failures, "name": name, "addresses": addresses}
        try:
            subject, body = render_email("failed_sign_ins", context, language or None)
            send_mail(subject, body, None, [email])
        except Exception:  # the sign-in answer must not depend on the mail
            logger.exception("could not tell %s about failed sign-ins", name)
