"""Gateway drivers behind one interface (gateways.drivers.base.Driver)."""

from ..models import Driver as DriverName
from .base import Driver, GatewayUnavailable, Outcome, Outgoing


def driver_for(gateway) -> Driver:
    from . import gsm, simulator, smsc

    classes = {
        DriverName.SIMULATOR: simulator.SimulatorDriver,
        DriverName.SMSC: smsc.SmscDriver,
        DriverName.DINSTAR: gsm.DinstarDriver,
        DriverName.OPENVOX: gsm.OpenVoxDriver,
        DriverName.DBLTEK: gsm.DblTekDriver,
    }
    return classes[gateway.driver](gateway)


__all__ = ["Driver", "GatewayUnavailable", "Outcome", "Outgoing", "driver_for"]
