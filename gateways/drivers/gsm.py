"""Customers' own GSM devices (Dinstar, OpenVox, DBLTek) over their HTTP interfaces."""

from .base import Driver, GatewayUnavailable


class _GsmDriver(Driver):
    def send(self, batch):
        raise GatewayUnavailable("the GSM drivers are not written yet")


class DinstarDriver(_GsmDriver):
    pass


class OpenVoxDriver(_GsmDriver):
    pass


class DblTekDriver(_GsmDriver):
    pass
