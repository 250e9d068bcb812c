"""gateways.E001: the task the dispatcher queues by name (POLL_TASK) exists."""

from django.core import checks

from gateways import dispatch
from gateways.checks import task_names_resolve


def test_the_real_poll_task_passes():
    assert task_names_resolve(None) == []


def test_a_renamed_poll_task_is_an_error(monkeypatch):
    monkeypatch.setattr(dispatch, "POLL_TASK", "gateways.tasks.renamed_poll")
    [error] = task_names_resolve(None)
    assert isinstance(error, checks.Error)
    assert error.id == "gateways.E001"
    assert "'gateways.tasks.renamed_poll'" in error.msg
