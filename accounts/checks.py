"""System checks of the deployment (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

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
