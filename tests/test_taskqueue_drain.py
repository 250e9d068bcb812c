"""lib.taskqueue.drain: a kicked task stays for the work committed while its kick was
being coalesced, and hands over what is left when its time is up."""

import pytest

from lib import shutdown, taskqueue


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(taskqueue, "enqueue", calls.append)
    monkeypatch.setattr(shutdown, "_requested", False)
    return calls


def test_it_stays_for_work_that_comes_while_it_waits(settings, queued):
    settings.DISPATCH_LINGER_SECONDS = 0.5
    work = [3, 0, 0, 2, 0]  # two more come in while it lingers after the first batch

    def step():
        return work.pop(0) if work else 0

    assert taskqueue.drain(step, "app.tasks.job") == 5
    assert work == []
    assert queued == []


def test_it_stops_once_nothing_came_for_the_linger_time(settings, queued):
    settings.DISPATCH_LINGER_SECONDS = 0.2
    calls = []

    def step():
        calls.append(1)
        return 0

    assert taskqueue.drain(step, "app.tasks.job") == 0
    assert 2 <= len(calls) <= 4  # every 0.1 s for 0.2 s
    assert queued == []


def test_out_of_budget_with_work_left_it_queues_itself_again(queued):
    assert taskqueue.drain(lambda: 1, "app.tasks.job", budget=0.05) > 0
    assert queued == ["app.tasks.job"]
