"""``manage.py qcluster``: django-q2's cluster, stopping within seconds on SIGTERM.

It overrides django-q2's command of the same name (INSTALLED_APPS lists
gateways before django_q), so operators, systemd units and `make run` keep running
``manage.py qcluster``. The override is needed because django-q2 (1.11) on
its own, when SIGTERM reaches every process of the cluster (systemd's
default, KillMode=control-group):
- its sentinel resets SIGTERM to the default action and dies at once, while
  its main process, handling the same signal, sets the sentinel's stop event
  and then waits, forever, for the dead sentinel to take it;
- its workers, pusher and monitor get that default action too: a worker dies
  in the middle of a batch, leaving its claim to lapse (two minutes), and
  the tasks fetched for the cluster but not started are dropped.
And when only the main process is signalled (docker, `rundemo`), the
workers are never told: a tick waiting for a scheduled send holds the stop
for up to 55 s.

Here the sentinel ignores SIGTERM (its main process stops it), and so do the
pusher and monitor it starts (it stops them in order). Each worker turns
SIGTERM into ``lib.shutdown.requested()``, which our tasks check
between units of work; the sentinel sends it to its workers when told to
stop, so a signal to the main process alone stops them as quickly.
"""

import logging
import os
import signal
import time

from django_q import cluster
from django_q.conf import Conf
from django_q.management.commands import qcluster
from django_q.signals import post_spawn

from lib import shutdown, taskqueue

logger = logging.getLogger(__name__)

# How long workers busy with a task get to stop when the cluster starts again (renew).
RENEW_GRACE = 20
# The minute tasks that find in the database the work of tasks lost with a cluster.
CATCH_UP = ("gateways.tasks.tick", "mailbridge.tasks.minute")


class Sentinel(cluster.Sentinel):
    def __init__(self, *args, start=True, **kwargs):
        super().__init__(*args, start=False, **kwargs)  # resets SIGTERM to the default
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if start:
            self.start()  # forks the workers, pusher and monitor, then guards them

    def reincarnate(self, process):
        if process not in (*self.pool, self.monitor, self.pusher):
            return  # of the processes ``renew`` replaced: the guard loop's list is older
        if process in self.pool and process.timer.value == -1 and (process.exitcode or 0) < 0:
            self.renew(process)
            return
        # django-q2 ends a worker past its task's timeout with SIGTERM, which
        # our workers take as "stop when you can": end it, as meant.
        timed_out = process in self.pool and process.timer.value == 0
        super().reincarnate(process)
        if timed_out and process.is_alive():
            process.kill()

    def renew(self, dead):
        """Start the cluster's processes again on new queues, after a worker was killed
        while it waited for a task (the kernel's OOM killer, an operator's kill -9).

        A worker waits in ``task_queue.get()``, which holds the queue's read lock for as
        long as it waits; killed there, it never releases it, and every other worker
        then waits for that lock for ever: tasks are still queued, none is run. So the
        pusher is stopped, workers busy with a task are asked to stop (our tasks stop
        between units of work and leave nothing claimed) and given RENEW_GRACE seconds,
        the rest are killed, and all start again on new queues. The tasks the old queue
        held are lost with it, as with any killed cluster on the Redis broker: the
        minute tasks find their work in the database (nothing is lost); they are queued
        at once (CATCH_UP).
        """
        logger.critical(
            "worker %s was killed waiting for a task, holding the task queue: "
            "starting the cluster's processes again on new queues",
            dead.name,
        )
        self.pool.remove(dead)
        self.pusher.kill()
        busy = [w for w in self.pool if w.is_alive() and w.timer.value > 0]
        for worker in busy:
            os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + RENEW_GRACE
        while time.monotonic() < deadline and any(w.is_alive() and w.timer.value > 0 for w in busy):
            time.sleep(0.1)
        for process in (*self.pool, self.pusher):
            if process.is_alive():
                process.kill()
            process.join(5)
        self.result_queue.put("STOP")  # the monitor saves the results before it
        self.monitor.join(RENEW_GRACE)
        if self.monitor.is_alive():
            self.monitor.kill()
        self.task_queue = cluster.Queue(maxsize=Conf.QUEUE_LIMIT or 0)
        self.result_queue = cluster.Queue()
        self.spawn_cluster()
        self.reincarnations += 1
        # The lost tasks' work, found now rather than at the next minute.
        for catch_up in CATCH_UP:
            taskqueue.enqueue(catch_up)

    def stop(self):
        for worker in self.pool:
            if worker.is_alive():
                os.kill(worker.pid, signal.SIGTERM)
        super().stop()


def _handle_sigterm_in_worker(sender, proc_name, **kwargs):
    shutdown.handle_sigterm()


class Command(qcluster.Command):
    def handle(self, *args, **options):
        # django-q2's Cluster starts the sentinel by this module-level name.
        cluster.Sentinel = Sentinel
        # Sent in each worker as it starts, before it takes a task.
        post_spawn.connect(_handle_sigterm_in_worker, weak=False)
        super().handle(*args, **options)
