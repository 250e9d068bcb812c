"""Schemathesis against the live APIs: the platform deployed as the README says
(PostgreSQL, ``migrate``, ``seed_demo``, gunicorn), its two OpenAPI descriptions
loaded from the server, and every operation fuzzed with the demo's credentials.

Every response must conform: no server error, a documented status, content type,
headers and body (XML and text bodies too, read by ``tests/chaos/wire_formats.py``).
"""

import collections
import logging
import os

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st

from . import wire_formats
from .servers import Platform, Postgres

logger = logging.getLogger(__name__)

# Fuzzing examples per operation (the coverage and examples phases add their own).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", 80))
# The same cases on every run: schemathesis' seed, and derandomized Hypothesis;
# SCHEMATHESIS_RANDOM=1 draws new ones (a local run looking further).
SEED = 20261207
RANDOM = os.environ.get("SCHEMATHESIS_RANDOM") == "1"
# Any answer slower than this fails (max_response_time): a hang is a bug too.
SLOWEST_ANSWER = 10
# One case in WRONG_CREDENTIALS keeps the generated (wrong) credentials.
WRONG_CREDENTIALS = 10


SMS_API_ENDPOINTS = ("gateway", "getProgress", "cancelSms", "validateContent", "incoming")
SMSC_ENDPOINTS = ("status.php", "senders.php", "send.php", "balance.php")
# A number that takes SMS and no field that refuses it.
GOOD_SEND = {
    "to_list": "48600100201",
    "to_file": "",
    "message": "Schemathesis",
    "from": "",
    "send_datetime": "",
    "notify_url": "",
}


@pytest.fixture(scope="module")
def live():
    postgres = Postgres()
    platform = None
    try:
        platform = Platform(postgres, balance="1000000")  # migrate and seed_demo may fail
        _, port = platform.gunicorn(workers=2)
        base = f"http://127.0.0.1:{port}"
        sent = platform.api(port, "gateway/", to_list="48600100200", message="Schemathesis")
        assert sent["error"] == "OK", sent
        yield platform, base, int(sent["message_id"])
    finally:
        if platform is not None:
            platform.close()
        postgres.close()


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            **({} if RANDOM else {"seed": SEED}),
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {
                "enabled": True,
                "max_response_time": SLOWEST_ANSWER,
                **wire_formats.CHECKS_OFF,
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )


def with_demo(schema, platform: Platform, login: str, password: str, good: dict):
    """The demo's credentials (in the body, or the query string of a GET) on all but one
    case in WRONG_CREDENTIALS; on some, the fields of a request that succeeds
    (``good``: by path, fields to set); the demo's SMS hash on most."""
    right = {login: platform.demo["api_username"], password: platform.demo["api_password"]}

    def fields(context, values):
        if not isinstance(values, dict) or not ({login, password} & set(values)):
            return st.just(values)
        path = context.operation.path.removesuffix("xml/")
        choices = [values, {**values, **right}]
        choices += [{**values, **right, **known} for known in good.get(path, [])]
        return st.integers(0, WRONG_CREDENTIALS - 1).map(
            lambda n: choices[0] if n == 0 else choices[1 + n % (len(choices) - 1)]
        )

    schema.hook("flatmap_body")(fields)
    schema.hook("flatmap_query")(fields)

    @schema.hook
    def flatmap_path_parameters(context, parameters):
        if not parameters:
            return st.just(parameters)
        known = dict(parameters)
        if "sms_hash" in known:
            known["sms_hash"] = platform.demo["sms_hash"]
        if "message_id" in known:
            known["message_id"] = good["message_id"]
        return st.sampled_from([parameters, known, known])

    return schema


@pytest.fixture(scope="module")
def answers():
    """Per operation, how many times each outcome (``error``) was answered."""
    return collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module")
def sms_api(live):
    platform, base, message_id = live
    schema = schemathesis.openapi.from_url(f"{base}/sms_api/schema/", config=config())
    good = {
        "message_id": message_id,
        "/sms_api/gateway/": [GOOD_SEND],
        "/sms_api/cancelSms/": [{"message_id": message_id}],
    }
    return with_demo(schema, platform, "username", "password", good)


@pytest.fixture(scope="module")
def smsc_api(live):
    platform, base, message_id = live
    schema = schemathesis.openapi.from_url(f"{base}/sys/schema/", config=config())
    good = {
        "/sys/status.php": [{"id": str(message_id), "phone": "48600100200", "del": 0}],
        "/sys/send.php": [
            {"phones": "48600100202", "mes": "Schemathesis", "sender": "", "time": "", "id": ""}
        ],
        "/sys/senders.php": [
            {"get": 1, "add": 0, "chg": 0, "del": 0, "send_code": 0, "check_code": 0}
        ],
    }
    return with_demo(schema, platform, "login", "psw", good)


@pytest.fixture(autouse=True)
def _node_id(request):
    # schemathesis' lazy schema renames the test by its node's ``_nodeid``, which
    # pytest 9.2 no longer has: the name it reads, and nothing else.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


sms_api_schema = schemathesis.pytest.from_fixture("sms_api")


@sms_api_schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=not RANDOM, database=None
)
def test_sms_api(case, answers):
    response = case.call_and_validate(timeout=30)
    endpoint = case.operation.definition.raw["operationId"].split("_")[0]
    answers[endpoint][wire_formats.outcome(response)] += 1


smsc_api_schema = schemathesis.pytest.from_fixture("smsc_api")


@smsc_api_schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=not RANDOM, database=None
)
def test_smsc_api(case, answers):
    response = case.call_and_validate(
        timeout=30, additional_checks=[wire_formats.fmt_gives_the_content_type]
    )
    endpoint = case.operation.path.removeprefix("/sys/")
    answers[endpoint][wire_formats.smsc_outcome(response)] += 1


def test_the_demo_credentials_got_in(answers):
    """Each endpoint answered OK (by GET or POST, in JSON or XML): the credentials the
    hooks set reached it."""
    logger.info("answers: %s", {name: dict(seen) for name, seen in answers.items()})
    for api, names in (("SMS API", SMS_API_ENDPOINTS), ("SMSC", SMSC_ENDPOINTS)):
        logger.info("%s: %d cases", api, sum(sum(answers[name].values()) for name in names))
    assert all(answers[name]["OK"] for name in SMS_API_ENDPOINTS), answers
    assert all(answers[name]["OK"] for name in SMSC_ENDPOINTS), answers
