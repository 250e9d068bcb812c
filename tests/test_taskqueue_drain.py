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


def test_a_task_finding_its_loop_running_ends_at_once(queued):
    running = taskqueue.Loop("app.tasks.job")
    assert running.enter()
    try:
        assert taskqueue.drain(lambda: 1, "app.tasks.job") == 0  # no second loop
    finally:
        running.leave()
    assert queued == []


def test_a_kick_while_the_loop_runs_queues_nothing_and_the_loop_finds_the_work(settings, queued):
    settings.DISPATCH_LINGER_SECONDS = 0.2
    settings.DISPATCH_COALESCE_SECONDS = 0
    work = [1]

    def step():
        if not work:
            return 0
        done = work.pop()
        # Work committed while the loop runs: its kick sees the loop and queues nothing.
        taskqueue._kick("app.tasks.job")
        return done

    assert taskqueue.drain(step, "app.tasks.job") == 1
    assert queued == []
    assert not taskqueue.looping("app.tasks.job")  # gone: the next kick queues a task
    taskqueue._kick("app.tasks.job")
    assert queued == ["app.tasks.job"]


def test_work_that_comes_as_the_loop_leaves_is_done_by_it(settings, queued):
    settings.DISPATCH_LINGER_SECONDS = 0
    calls = []

    def step():
        calls.append(taskqueue.looping("app.tasks.job"))
        return 1 if len(calls) == 2 else 0  # found only by the look after leaving

    assert taskqueue.drain(step, "app.tasks.job") == 1
    assert calls[:2] == [True, False]
