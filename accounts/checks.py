"""System checks of the deployment (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """API credentials and failure counters live in the cache: each web process
    must see the same one, or a regenerated API password keeps working in the
    others for API_AUTH_CACHE_SECONDS and each process counts failed logins apart."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            f"The cache ({backend.rsplit('.', 1)[-1]}) is per process: with several web "
            "processes a changed API password or allowlist reaches the others only when "
            "their cached copy expires, and failed logins are counted in each apart.",
            hint="Set REDIS_URL (or CACHE_URL) to a Redis every web process shares.",
            id="accounts.W001",
        )
    ]


@register()
def sender_name_operators(app_configs, **kwargs):
    """Each code of SENDER_NAME_OPERATORS is kept in SenderOperatorStatus.operator: a code
    that does not fit would fail only when staff first save a status at that operator."""
    from .models import SenderOperatorStatus

    longest = SenderOperatorStatus._meta.get_field("operator").max_length
    return [
        Error(
            f"SENDER_NAME_OPERATORS: {code}={name} is not a code of 1 to {longest} "
            "characters and a name.",
            hint="List the operators as code=Name pairs, e.g. orange=Orange,play=Play.",
            id="accounts.E001",
        )
        for code, name in settings.SENDER_NAME_OPERATORS.items()
        if not code or len(code) > longest or not name
    ]
