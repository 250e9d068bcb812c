"""messaging.E001: the tasks messaging queues by name (DISPATCH_TASK, DELIVER_TASK) exist."""

from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from messaging import callbacks, services
from messaging.checks import task_names_resolve


def errors() -> list[checks.CheckMessage]:
    return task_names_resolve(None)


def test_the_real_task_name_passes():
    assert errors() == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("gateways.renamed_tasks.dispatch", "No module named 'gateways.renamed_tasks'"),
        ("gateways.tasks.renamed_dispatch", 'does not define a "renamed_dispatch"'),
        ("messaging.services.DISPATCH_TASK", "it is not callable"),
    ],
)
@pytest.mark.parametrize(
    ("module", "constant"), [(services, "DISPATCH_TASK"), (callbacks, "DELIVER_TASK")]
)
def test_a_name_that_cannot_be_queued_is_an_error(monkeypatch, module, constant, name, reason):
    monkeypatch.setattr(module, constant, name)
    [error] = errors()
    assert isinstance(error, checks.Error)
    assert error.id == "messaging.E001"
    assert error.obj == f"{module.__name__}.{constant}"
    assert repr(name) in error.msg and reason in error.msg


@pytest.mark.django_db
def test_manage_py_check_fails_on_it_and_passes_without_it(monkeypatch):
    call_command("check", stdout=StringIO(), stderr=StringIO())
    monkeypatch.setattr(services, "DISPATCH_TASK", "gateways.tasks.renamed_dispatch")
    with pytest.raises(SystemCheckError, match="messaging.E001"):
        call_command("check", stdout=StringIO(), stderr=StringIO())
