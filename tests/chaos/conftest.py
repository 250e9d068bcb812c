"""Chaos tests: faults injected into real processes on servers of the test's own
(tests/chaos/servers.py). Slow: they run with ``pytest -m chaos`` (``make chaos``),
not in the main suite."""

import pytest

from .servers import Platform, Postgres


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/chaos/" in str(item.fspath):
            item.add_marker(pytest.mark.chaos)


@pytest.fixture
def postgres():
    server = Postgres()
    yield server
    server.close()


@pytest.fixture
def deploy():
    """``deploy(postgres, redis, **env)``: a Platform whose processes are all killed when
    the test ends, passed or not."""
    made = []

    def make(*args, **kwargs) -> Platform:
        made.append(Platform(*args, **kwargs))
        return made[-1]

    yield make
    for platform in made:
        platform.close()
