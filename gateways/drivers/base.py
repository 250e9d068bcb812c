"""The one interface every gateway driver implements."""

import os
from dataclasses import dataclass
from datetime import datetime


class GatewayUnavailable(Exception):
    """The gateway could not be reached or refused the whole batch; try again later."""


@dataclass(frozen=True)
class Outgoing:
    """One recipient to send. ``recipient_id`` is also the idempotency key."""

    recipient_id: int
    number: str  # 48XXXXXXXXX
    text: str
    sender: str
    flash: bool
    parts: int
    port: str = ""  # GSM devices: the SIM port of the sender alias
    # Claimed before by a worker that did not record the outcome: the gateway
    # may have it already. A driver whose gateway does not deduplicate by id
    # asks the gateway before sending it again.
    retry: bool = False


@dataclass(frozen=True)
class Outcome:
    """What the gateway said of one recipient when it was sent.

    ``status`` is QUEUED when it was accepted and a report will follow, or a
    final status when the gateway already knows (refused, or a device that
    only says "sent").
    """

    recipient_id: int
    status: str
    ref: str = ""  # the gateway's own id, when it differs from ours
    at: datetime | None = None


class Driver:
    """Send a batch and poll statuses.

    ``send`` must be idempotent per ``Outgoing.recipient_id``: a worker killed
    after the gateway accepted, but before the acceptance was recorded, sends
    the same recipients again after its claim lapses.
    """

    # Seconds until it is worth polling after a send (None: this driver does not poll).
    poll_after: float | None = None

    def __init__(self, gateway):
        self.gateway = gateway
        self.settings = gateway.settings or {}

    def send(self, batch: list[Outgoing]) -> list[Outcome]:
        raise NotImplementedError

    def poll(self, sent: list[int] | None = None) -> int:
        """Fetch and apply what the gateway knows now; returns how many recipients changed.

        ``sent``: instance ids the dispatcher has just sent, when it polls at
        once (``poll_after`` 0); a driver may look only at those.
        """
        return 0

    def secret(self, name: str) -> str:
        """A credential from the settings, or from the environment variable ``<name>_env``."""
        variable = self.settings.get(f"{name}_env")
        if variable:
            return os.environ.get(variable, "")
        return str(self.settings.get(name, ""))
