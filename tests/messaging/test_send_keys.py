"""submit_once: a client's key sends once, even when two sends with it race."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from messaging import services
from messaging.models import Message, SendKey

pytestmark = pytest.mark.django_db(transaction=True)


def request():
    return services.SendRequest(recipients=["48501234567"], text="Once")


def answer(accepted):
    return {"id": accepted.message.pk}


@pytest.mark.postgres
def test_a_race_on_one_key_sends_once_and_both_get_its_answer(make_service):
    # Money for one send only: the second must wait for the first and read its answer,
    # not be refused for want of funds the first has just spent.
    service = make_service(balance=Decimal("0.07"))
    results, barrier = {}, threading.Barrier(2)

    def send(name):
        barrier.wait()
        try:
            results[name] = services.submit_once(service.pk, "K1", request(), answer)
        except Exception as exc:  # noqa: BLE001 (reported below)
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert Message.objects.count() == 1
    first = Message.objects.get().pk
    assert sorted(results.values(), key=lambda r: r[1]) == [
        ({"id": first}, False),
        ({"id": first}, True),
    ], results


def test_a_refused_send_keeps_no_key(make_service):
    service = make_service(balance=Decimal("0"))
    with pytest.raises(services.InsufficientFunds):
        services.submit_once(service.pk, "K2", request(), answer)
    assert not SendKey.objects.exists()


def test_an_integrity_error_elsewhere_is_not_a_repeat(make_service, monkeypatch):
    from django.db import IntegrityError

    service = make_service(balance=Decimal("1"))
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise IntegrityError("not the key")

    monkeypatch.setattr(services, "submit", broken)
    with pytest.raises(IntegrityError):
        services.submit_once(service.pk, "K3", request(), answer)
    assert len(calls) == 1
