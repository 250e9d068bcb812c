"""Every refusal of the send pipeline, for the tests that check each door answers each one.

The classes are found at run time, so a ``SendError`` subclass added later is
walked through every door's test without anyone listing it here.
"""

from decimal import Decimal

import pytest

from messaging import services


def send_error_classes() -> list[type[services.SendError]]:
    """Every subclass of ``services.SendError``, however deep, by name."""
    found: set[type] = set()
    todo = [services.SendError]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return sorted(found, key=lambda kind: kind.__qualname__)


def refusal(kind: type[services.SendError]) -> services.SendError:
    """An instance of ``kind``, made as the pipeline makes one."""
    if issubclass(kind, services.ServiceRefused):
        return kind(103)
    if issubclass(kind, services.MessageTooLong):
        return kind(7, 6)
    if issubclass(kind, services.InsufficientFunds):
        return kind(needed=Decimal("1.5000"), available=Decimal("0.2000"))
    return kind("a detail")


def each_refusal():
    """``pytest.mark.parametrize`` arguments: one case per class, named after it."""
    return [pytest.param(kind, id=kind.__name__) for kind in send_error_classes()]
