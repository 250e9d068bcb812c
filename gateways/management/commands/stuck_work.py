"""List background work that is not moving, and stop it when told to."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Count, Min
from django.utils import timezone

from gateways.health import HOW_TO_FIX, ROUTE_SENDERS, waiting_for_gateway
from messaging import transitions
from messaging.models import Callback, CallbackHost, CallbackState, Recipient, Status
from messaging.transitions import Report


class Command(BaseCommand):
    help = (
        "List stuck work: due recipients not dispatched, lapsed claims, recipients waiting "
        "for a report too long, held recipients, routes without a gateway, callbacks still "
        "retrying. With --expire-queued or --give-up-callbacks, stop it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes", type=int, default=10, help="due this long ago and still PENDING (10)"
        )
        parser.add_argument(
            "--hours", type=int, default=48, help="QUEUED this long without a report (48)"
        )
        parser.add_argument(
            "--expire-queued",
            action="store_true",
            help="mark recipients QUEUED longer than --hours EXPIRED (refunded once, reported)",
        )
        parser.add_argument(
            "--give-up-callbacks",
            action="store_true",
            help="stop retrying every pending callback older than --hours",
        )

    def handle(self, *args, minutes, hours, expire_queued, give_up_callbacks, **options):
        now = timezone.now()
        late = now - timedelta(minutes=minutes)
        old = now - timedelta(hours=hours)
        pending = Recipient.objects.filter(status=Status.PENDING, send_at__lte=late)
        lapsed = pending.filter(claimed_until__lt=now)
        queued = Recipient.objects.filter(status=Status.QUEUED, status_at__lte=old)
        held = Recipient.objects.filter(status=Status.ON_HOLD)
        retrying = Callback.objects.filter(state=CallbackState.PENDING)
        old_callbacks = retrying.filter(created_at__lte=old)

        self._line(f"due over {minutes} min ago, not dispatched", pending)
        self._line("  of which claimed by a worker that stopped", lapsed)
        self._line(f"QUEUED over {hours} h without a report", queued)
        self._line("ON_HOLD (service blocked or out of funds)", held)
        for waiting in waiting_for_gateway():
            self.stdout.write(
                f"PENDING on the {waiting.route} route ({ROUTE_SENDERS[waiting.route]}): "
                f"{waiting.recipients} in {waiting.messages} message(s), because no enabled "
                f"gateway serves it. {HOW_TO_FIX}"
            )
            oldest = (
                Recipient.objects.filter(status=Status.PENDING, message__route=waiting.route)
                .order_by("send_at", "id")
                .values_list("id", "message_id", "number")[:10]
            )
            for recipient_id, message_id, number in oldest:
                self.stdout.write(
                    f"  recipient {recipient_id} of message {message_id} to {number}: "
                    "waiting for a gateway"
                )
        for row in (
            retrying.values("url").annotate(n=Count("id"), since=Min("created_at")).order_by("-n")
        )[:10]:
            since = f"{row['since']:%Y-%m-%d %H:%M}"
            self.stdout.write(f"callbacks retrying: {row['n']} to {row['url']} since {since}")
        if not retrying.exists():
            self.stdout.write("callbacks retrying: none")
        for host in CallbackHost.objects.filter(blocked_until__gt=now).order_by("blocked_until"):
            self.stdout.write(
                f"callback host {host.host} backed off until {host.blocked_until:%Y-%m-%d %H:%M} "
                f"after {host.failures} failures in a row ({host.last_error})"
            )

        if expire_queued:
            ids = list(queued.values_list("id", flat=True))
            changed = transitions.apply_reports([Report(rid, Status.EXPIRED) for rid in ids])
            self.stdout.write(f"expired {len(changed)} recipient(s) (refunded, reported)")
        if give_up_callbacks:
            count = old_callbacks.update(state=CallbackState.GIVEN_UP, finished_at=now)
            self.stdout.write(f"gave up {count} callback(s) older than {hours} h")

    def _line(self, label, queryset):
        summary = queryset.aggregate(n=Count("id"), messages=Count("message", distinct=True))
        self.stdout.write(f"{label}: {summary['n']} in {summary['messages']} message(s)")
