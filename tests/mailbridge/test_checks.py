"""mailbridge.E001: the task the bridge queues by name (SEND_TASK) exists."""

from mailbridge import replies
from mailbridge.checks import task_names_resolve


def test_the_real_task_passes():
    assert task_names_resolve(None) == []


def test_a_renamed_task_is_an_error(monkeypatch):
    monkeypatch.setattr(replies, "SEND_TASK", "mailbridge.tasks.renamed")
    [error] = task_names_resolve(None)
    assert error.id == "mailbridge.E001" and "'mailbridge.tasks.renamed'" in error.msg
