"""Hand work to the django-q2 workers (ORM broker by default, Redis when configured)."""

import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from lib import shutdown

logger = logging.getLogger(__name__)


def enqueue(func: str, *args, **kwargs) -> None:
    """Queue ``func`` (a dotted path) for a worker. Call it after the commit.

    A broker that cannot take the task loses nothing: the per-minute tick
    (gateways.tasks.tick) finds the same work in the database.
    """
    try:
        async_task(func, *args, q_options={"timeout": 110}, **kwargs)
    except Exception:  # the tick catches up
        logger.exception("could not queue %s; the next tick will do it", func)


# When each coalesced task was last queued by this process.
_last_kick: dict[str, float] = {}


# How long a running loop's mark lasts unless renewed: a killed worker's lapses soon.
LOOP_LIFE = 10


class Loop:
    """A kicked task's place among the loops doing its kind of work, marked in the cache
    (shared by every process when it is Redis): at most ``places`` loops run at once,
    a task finding them all taken ends at once instead of lingering beside them, and a
    kick while one runs queues nothing (``_kick``), since the loop finds the work.
    Without a shared cache (the demo's per-process one), or with the cache down, every
    task runs, as if there were no marks."""

    def __init__(self, func: str, places: int = 1):
        self.keys = [f"taskqueue:loop:{func}:{n}" for n in range(places)]
        self.key = None

    def enter(self) -> bool:
        try:
            self.key = next((key for key in self.keys if cache.add(key, 1, LOOP_LIFE)), None)
        except Exception:  # no cache to mark in: run unmarked
            logger.warning("no cache for the loop marks; running unmarked", exc_info=True)
            self.key = ""
        return self.key is not None

    def renew(self) -> None:
        if self.key:
            with contextlib.suppress(Exception):  # a lapsed mark costs a spare task, no more
                cache.set(self.key, 1, LOOP_LIFE)

    def leave(self) -> None:
        if self.key:
            with contextlib.suppress(Exception):
                cache.delete(self.key)
        self.key = None


def looping(func: str) -> bool:
    """Whether a loop of ``func`` is running (its first place is taken)."""
    try:
        return cache.get(Loop(func).keys[0]) is not None
    except Exception:  # the cache is down: queue the task
        return False


def kick_after_commit(func: str) -> None:
    """Queue ``func`` once the transaction commits, at most once per process every
    DISPATCH_COALESCE_SECONDS.

    The tasks kicked this way (dispatch, callbacks, mail reports and the mail they
    send) stay at least that long after their last work before they stop (``drain``),
    so work committed in between is picked up by the run already queued.
    """
    transaction.on_commit(lambda: _kick(func))


def _kick(func: str) -> None:
    if looping(func):
        return  # it finds the work: it looks again after leaving its place (``drain``)
    now = time.monotonic()
    if now - _last_kick.get(func, -1e9) < settings.DISPATCH_COALESCE_SECONDS:
        return
    _last_kick[func] = now
    enqueue(func)


def drain(
    step: Callable[[], int],
    again: str,
    budget: float = 50.0,
    *,
    linger: float | None = None,
    places: int = 1,
    pause: Callable[[int], float] | None = None,
) -> int:
    """The body of a task ``kick_after_commit`` queues: run ``step`` (one batch of work,
    returning how much it did) until it has found nothing for ``linger`` seconds
    (DISPATCH_LINGER_SECONDS), so that work committed while the kick was being
    coalesced, or skipped because this loop was running, is done by this run; out of
    ``budget`` with work left, or asked to stop, queue ``again`` (this task) for the
    rest. At most ``places`` such loops run at once (``Loop``). ``pause(done)``, after
    a batch that did work, says how long to wait before the next (0: none). Returns
    the work done."""
    linger = settings.DISPATCH_LINGER_SECONDS if linger is None else linger
    loop = Loop(again, places)
    if not loop.enter():
        return 0
    started = time.monotonic()
    idle_since = None
    total = 0
    while time.monotonic() - started < budget and not shutdown.requested():
        loop.renew()
        done = step()
        total += done
        if done:
            idle_since = None
            wait = pause(done) if pause else 0
            if wait:
                shutdown.wait(wait)
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since < linger:
            shutdown.wait(0.1)
            continue
        # Leave, then look once more: a kick skipped while the mark was up is found now.
        loop.leave()
        done = step()
        total += done
        if not done or not loop.enter():
            return total
        idle_since = None
    loop.leave()
    enqueue(again)
    return total


def wake_at(func: str, when, name: str) -> None:
    """Have ``func`` run at ``when`` (django-q2's scheduler, within about 30 s of it).

    One schedule per ``name``, moved only earlier: many callers asking for
    different times leave the earliest. django-q2 deletes it once it has run.
    """
    from django_q.models import Schedule

    try:
        if Schedule.objects.filter(name=name, next_run__lte=when).exists():
            return
        # Not update_or_create: names are not unique, and callers racing to
        # create one may leave two (each runs once; harmless).
        if not Schedule.objects.filter(name=name).update(next_run=when):
            Schedule.objects.create(
                name=name, func=func, schedule_type=Schedule.ONCE, next_run=when, repeats=-1
            )
    except Exception:  # the tick catches up
        logger.exception("could not schedule %s; the next tick will do it", func)


def unresolved(names: Iterable[str]) -> dict[str, str]:
    """Of these task names, those a worker could not run, each with the reason.

    Tasks are queued by dotted name (a task may live a layer above its caller,
    or import it); the apps' system checks call this so that a renamed task
    fails ``manage.py check`` instead of every queued run.
    """
    failed = {}
    for name in names:
        try:
            task = import_string(name)
        except ImportError as exc:
            failed[name] = str(exc)
            continue
        if not callable(task):
            failed[name] = "it is not callable"
    return failed


def name_errors(names: dict[str, str], check_id: str) -> list:
    """System-check errors for the task names in ``names`` (name → the constant holding
    it) that a worker could not run; an app's check returns these."""
    from django.core import checks

    return [
        checks.Error(
            f"{names[name]} names {name!r}, which cannot be queued: {reason}.",
            hint="Point it at the django-q2 task it stands for.",
            obj=names[name],
            id=check_id,
        )
        for name, reason in unresolved(names).items()
    ]
