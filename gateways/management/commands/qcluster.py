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

import os
import signal

from django_q import cluster
from django_q.management.commands import qcluster
from django_q.signals import post_spawn

from lib import shutdown


class Sentinel(cluster.Sentinel):
    def __init__(self, *args, start=True, **kwargs):
        super().__init__(*args, start=False, **kwargs)  # resets SIGTERM to the default
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if start:
            self.start()  # forks the workers, pusher and monitor, then guards them

    def reincarnate(self, process):
        # django-q2 ends a worker past its task's timeout with SIGTERM, which
        # our workers take as "stop when you can": end it, as meant.
        timed_out = process in self.pool and process.timer.value == 0
        super().reincarnate(process)
        if timed_out and process.is_alive():
            process.kill()

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
