"""Sending through the pipeline (messaging.services.submit), for tests of what follows."""

from messaging import services

# One number for each simulator outcome, by the last three digits (README):
# REJECTED, EXPIRED, REMOTE_ERROR, DELIVERED.
NUMBERS = ["48600100000", "48600100999", "48600100998", "48600100123"]


def send(service, numbers=NUMBERS, **fields):
    request = services.SendRequest(recipients=list(numbers), text="Test", **fields)
    return services.submit(service.pk, request).message


def statuses(message):
    return dict(message.recipients.values_list("number", "status"))
