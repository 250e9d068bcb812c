"""Settings for the benchmark's web server: the product's, plus the floor view's URL."""

from .settings import *  # noqa: F403

ROOT_URLCONF = "messaging.bench"
DEBUG = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
