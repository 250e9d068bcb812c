"""What messaging tells the apps above it, which it must not import.

``recipients_changed`` is sent inside the transaction that moved recipients to
new statuses (messaging.transitions: reports, expiry, cancel), with the
``changes`` (transitions.Change) and the ``messages`` they belong to (by id,
with ``source`` loaded). A receiver that writes rows writes them in that
transaction, so what it records can never miss a committed change (the mail
bridge's delivery reports). Receivers must be cheap when nothing concerns them:
report batches are the dispatcher's hot path.
"""

from django.dispatch import Signal

recipients_changed = Signal()
