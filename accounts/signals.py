"""What happened to a customer's objects, for the layers above to tell them (panel.notices)."""

from django.dispatch import Signal

# A service became active; sent with ``service``.
service_activated = Signal()
# Staff moderated sender IDs (allowed or disabled them); sent with ``senders``, a list.
senders_moderated = Signal()
# A charge took a service's balance below its low-balance threshold (accounts.alerts);
# sent once per dip, after the commit, with ``service_id``.
balance_low = Signal()
# A service's state changed (Service._transition), inside the change's transaction;
# sent with ``service``, ``before`` and ``after`` (ServiceState values).
state_changed = Signal()
