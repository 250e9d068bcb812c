import os
import shutil
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from accounts import apiauth, ledger
from accounts.models import Customer, Service, ServiceKind, ServiceState

CHROMIUM = "/usr/bin/chromium"


def _required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")


# Property tests: CI runs each one's full count of examples, a local run a tenth of it.
CI_EXAMPLES = 100  # Hypothesis' own default, the count the suite has always run
hypothesis_settings.register_profile("ci", max_examples=CI_EXAMPLES)
hypothesis_settings.register_profile("dev", max_examples=CI_EXAMPLES // 10)
# The chaos run's (make chaos): every property test at least DEEP_EXAMPLES examples.
DEEP_EXAMPLES = 10_000
hypothesis_settings.register_profile("deep", max_examples=DEEP_EXAMPLES, deadline=None)


def hypothesis_profile(environ) -> str:
    """``HYPOTHESIS_PROFILE`` when set; else "ci" under CI (``.ci/run`` exports CI=true),
    "dev" elsewhere. pytest's ``--hypothesis-profile`` still wins over both."""
    if environ.get("HYPOTHESIS_PROFILE"):
        return environ["HYPOTHESIS_PROFILE"]
    return "ci" if environ.get("CI", "") not in ("", "0", "false") else "dev"


hypothesis_settings.load_profile(hypothesis_profile(os.environ))


def examples(ci_count: int) -> int:
    """A test's own ``max_examples`` under the loaded profile: ``ci_count`` in CI, the
    same share of it as the profile's count is of CI's elsewhere, at least one; in the
    deep profile at least DEEP_EXAMPLES."""
    if hypothesis_settings.default.max_examples >= DEEP_EXAMPLES:
        return max(ci_count, DEEP_EXAMPLES)
    return max(1, ci_count * hypothesis_settings.default.max_examples // CI_EXAMPLES)


@pytest.fixture(autouse=True)
def _english():
    # Polish is the default language; tests read the English texts unless they
    # ask for Polish (see tests/panel/test_language.py).
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def admin_client(admin_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    return client


@pytest.fixture(autouse=True)
def _fresh_caches():
    # Each test starts with empty caches, the shared one and the per-process
    # ones (credentials, throttles, content rules), as a new process on a new
    # cache would: nothing one test cached reaches the next.
    from django.core.cache import cache

    from lib.localcache import clear_all
    from messaging import content

    def clear():
        cache.clear()
        clear_all()
        content.forget_policy()

    clear()
    yield
    clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Panel logins keep PBKDF2 in production; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _gnupg_home(tmp_path_factory):
    # The platform PGP keyring (mailbridge.pgp) lives outside the project for the
    # whole run; the key is made once, by whichever test needs it first.
    from django.test import override_settings

    home = tmp_path_factory.mktemp("gnupg")
    # The environment too: manage.py processes the tests start (seed_demo in the
    # deployment test, smtpd) must not make a key in the checkout either.
    previous = os.environ.get("SMS2EMAIL_GNUPG_HOME")
    os.environ["SMS2EMAIL_GNUPG_HOME"] = str(home)
    with override_settings(SMS2EMAIL_GNUPG_HOME=home):
        yield home
    if previous is None:
        os.environ.pop("SMS2EMAIL_GNUPG_HOME", None)
    else:
        os.environ["SMS2EMAIL_GNUPG_HOME"] = previous
    from tests.workers import stop_gpg_agent

    stop_gpg_agent(home)


@pytest.fixture(autouse=True)
def _needs_postgres(request):
    if request.node.get_closest_marker("postgres") is None:
        return
    if connection.vendor == "postgresql":
        return
    message = "needs PostgreSQL: set DATABASE_URL=postgres://…"
    if _required("REQUIRE_POSTGRES"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def make_service(db, django_user_model):
    """Create a customer (with a panel login) and a service; returns the service."""
    counter = {"n": 0}

    def make(
        *,
        username=None,
        customer=None,
        state=ServiceState.ACTIVE,
        kind=ServiceKind.TWO_WAY,
        balance=Decimal("0"),
        credit_limit=Decimal("0"),
        name=None,
    ) -> Service:
        counter["n"] += 1
        if customer is None:
            username = username or f"customer{counter['n']}"
            user = django_user_model.objects.create_user(username, password="pw-" + username)
            customer = Customer.objects.create(user=user, name=f"Customer {username}")
        service = Service.objects.create(
            customer=customer,
            name=name or f"Service {counter['n']}",
            kind=kind,
            state=state,
            credit_limit=credit_limit,
        )
        if balance:
            ledger.top_up(service.pk, balance, note="test setup")
            service.refresh_from_db()
        return service

    return make


@pytest.fixture
def service(make_service):
    return make_service(username="alice", balance=Decimal("10.00"))


@pytest.fixture
def alice_client(client, service):
    client.force_login(service.customer.user)
    return client


@pytest.fixture(scope="session")
def chromium_browser():
    if not shutil.which(CHROMIUM):
        if _required("REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_in(chromium_browser):
    """``page_in("pl-PL")``: a browser page in a language of its own; closed after the test.

    Other options go to the browser context: ``page_in("en-US", java_script_enabled=False)``.
    """
    contexts = []

    def make(locale: str, **options):
        context = chromium_browser.new_context(locale=locale, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_in):
    return page_in("en-US")


# The seed's API credentials (seed 001 examples 3–7).
SEED_USERNAME = "sms_claudeapi"
SEED_PASSWORD = "topsecret"


@pytest.fixture
def api_service(make_service):
    """A service answering to the seed's credentials from 127.0.0.1 (the test client)."""
    from accounts.models import AllowedAddress

    service = make_service(username="claude", balance=Decimal("100.00"))
    service.api_username = SEED_USERNAME
    service.save()
    apiauth.set_api_password(service, SEED_PASSWORD)
    AllowedAddress.objects.create(service=service, network="127.0.0.1")
    return service


@pytest.fixture
def api(client, api_service):
    """Call the SMS API as the seed's client: ``api("gateway/xml/", to_list=…)``."""

    def call(path, method="post", credentials=True, **fields):
        if credentials:
            fields = {"username": SEED_USERNAME, "password": SEED_PASSWORD, **fields}
        return getattr(client, method)(f"/sms_api/{path}", fields)

    return call


@pytest.fixture
def simulator(db):
    """The simulator gateway on both routes, reporting at once (delay 0)."""
    from gateways.models import Driver, Gateway

    return Gateway.objects.create(
        name="Simulator",
        driver=Driver.SIMULATOR,
        settings={"delay": 0},
        serves_standard=True,
        serves_premium=True,
    )


@pytest.fixture
def redis_server():
    """A redis-server of the test's own (tests/chaos/servers.py), to stop and start."""
    from tests.chaos.servers import Redis

    server = Redis()
    yield server
    server.close()
