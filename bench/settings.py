"""Settings for the benchmark: the product's, plus this package (its ``bench``
command) and the floor view's URLconf. ``make bench`` runs with these."""

from smspanel.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.floor"
DEBUG = False
