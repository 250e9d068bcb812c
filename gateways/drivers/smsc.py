"""An upstream speaking the SMSC HTTP protocol (send.php, status.php; seed 003)."""

from .base import Driver, GatewayUnavailable


class SmscDriver(Driver):
    poll_after = 60.0

    def send(self, batch):
        raise GatewayUnavailable("the smsc driver is not written yet")
