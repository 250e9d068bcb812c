import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(inherit=True, **env):
    """``check --deploy`` with ``env`` over this run's environment (without its
    SECRET_KEY), or, with ``inherit`` false, over PATH and HOME alone."""
    if inherit:
        environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    else:  # nothing of this test run (the browser tests' async switch, say)
        environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
    environment.update(env)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


def test_development_secret_key_is_flagged_by_check_deploy():
    assert "security.W009" in deploy_check()


def test_a_real_secret_key_and_https_settings_pass_check_deploy():
    output = deploy_check(
        SECRET_KEY="x" * 20 + "A9b8C7d6E5f4G3h2I1j0K9l8M7n6O5p4Q3r2S1t0",
        SESSION_COOKIE_SECURE="1",
        CSRF_COOKIE_SECURE="1",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
    )
    # HSTS subdomains/preload (W005, W021) are each site's own decision.
    for code in ["W004", "W008", "W009", "W012", "W016"]:
        assert f"security.{code}" not in output, output


def test_the_keyring_defaults_to_a_git_ignored_folder_under_var():
    environment = {k: v for k, v in os.environ.items() if k != "SMS2EMAIL_GNUPG_HOME"}
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "from smspanel import settings; print(settings.SMS2EMAIL_GNUPG_HOME)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    home = Path(result.stdout.strip())
    assert home == ROOT / "var" / "gnupg"
    ignored = subprocess.run(  # noqa: S603
        ["git", "check-ignore", "-q", str(home / "pubring.kbx")],  # noqa: S607
        cwd=ROOT,
        check=False,
    )
    assert ignored.returncode == 0, "var/ must be git-ignored: the keyring holds the secret key"


def test_the_smtp_listener_logs_each_command_only_at_debug():
    shown = {}
    for level in ("INFO", "DEBUG"):
        shown[level] = (
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    "import logging; print(logging.getLogger('mail.log').getEffectiveLevel(), "
                    "logging.getLogger('mailbridge.intake').getEffectiveLevel())",
                ],
                cwd=ROOT,
                env={**os.environ, "LOG_LEVEL": level},
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.splitlines()[-1]
            .split()
        )
    # aiosmtpd's line per command: not at INFO, where our own log of each mail is.
    assert shown["INFO"] == ["30", "20"]
    assert shown["DEBUG"] == ["10", "10"]


def readme_production_environment() -> dict[str, str]:
    """The variables the README's "Running on PostgreSQL and Redis" section exports,
    with a real secret in place of its ``…``."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Running on PostgreSQL and Redis", 1)[1].split("\n## ", 1)[0]
    found = {}
    for command in re.findall(r"export ((?:[A-Z_]+=\S+\s*)+)", section.replace("\n  ", " ")):
        for name, value in re.findall(r"([A-Z_]+)=(\S+?)`?(?=\s|$)", command):
            found[name] = value
    found["SECRET_KEY"] = secrets.token_urlsafe(50)
    return found


def test_check_deploy_is_clean_with_the_readmes_production_settings():
    environment = readme_production_environment()
    # What the README sets, HTTPS part included.
    assert {"DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "SECURE_HSTS_SECONDS"} <= set(environment)
    output = deploy_check(inherit=False, **environment)
    assert "System check identified no issues" in output, output
