"""Zamów usługę: a customer orders a new service, which waits as not activated (101)
until staff activate it in admin.

One customer may have at most ``MAX_PENDING_ORDERS`` services waiting at once. The
customer row is locked while the waiting ones are counted and the new one is made,
so orders placed at once queue on it and cannot all pass the same count.
"""

from django.db import transaction

from .models import Customer, Service, ServiceState

# Orders waiting for activation a customer may have at once.
MAX_PENDING_ORDERS = 3


class TooManyPending(Exception):
    """The customer already has ``waiting`` services waiting for activation."""

    def __init__(self, waiting: int):
        super().__init__(f"{waiting} services wait for activation already")
        self.waiting = waiting


def order_service(customer_id: int, name: str, kind: str) -> Service:
    """Make a not-activated service for the customer; TooManyPending past the limit."""
    with transaction.atomic():
        # NO KEY UPDATE: orders wait for each other, but nothing that only
        # references the customer (a service staff add in admin) waits for them.
        # On SQLite the IMMEDIATE transaction takes the write lock instead.
        Customer.objects.select_for_update(no_key=True).only("pk").get(pk=customer_id)
        waiting = Service.objects.filter(
            customer_id=customer_id, state=ServiceState.NOT_ACTIVATED
        ).count()
        if waiting >= MAX_PENDING_ORDERS:
            raise TooManyPending(waiting)
        return Service.objects.create(
            customer_id=customer_id, name=name, kind=kind, state=ServiceState.NOT_ACTIVATED
        )
