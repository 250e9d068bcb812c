"""The benchmark is its own package: the product never loads it, its settings do."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent


def manage(*args, **env):
    environment = {**os.environ, **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_product_settings_do_not_install_the_benchmark():
    assert "bench" not in settings.INSTALLED_APPS
    assert not settings.ROOT_URLCONF.startswith("bench")


def test_the_bench_command_exists_only_under_the_bench_settings():
    product = manage("help", "bench", DJANGO_SETTINGS_MODULE="smspanel.settings")
    assert product.returncode != 0
    assert "Unknown command: 'bench'" in product.stderr
    bench = manage("help", "bench", DJANGO_SETTINGS_MODULE="bench.settings")
    assert bench.returncode == 0, bench.stderr
    assert "--only" in bench.stdout


def test_no_product_module_imports_the_benchmark():
    product = ["panel", "contacts", "accounts", "messaging", "mailbridge", "gateways", "lib"]
    offenders = [
        str(path.relative_to(ROOT))
        for package in product
        for path in (ROOT / package).rglob("*.py")
        if "import bench" in path.read_text() or "from bench" in path.read_text()
    ]
    assert offenders == []
