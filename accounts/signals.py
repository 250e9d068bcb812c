"""What happened to a customer's objects, for the layers above to tell them (panel.notices)."""

from django.dispatch import Signal

# A service became active; sent with ``service``.
service_activated = Signal()
# Staff moderated sender IDs (allowed or disabled them); sent with ``senders``, a list.
senders_moderated = Signal()
