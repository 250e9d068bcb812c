"""The Hypothesis profiles of tests/conftest.py: full counts in CI, a tenth locally."""

import pytest
from hypothesis import settings as hypothesis_settings

from tests.conftest import CI_EXAMPLES, DEEP_EXAMPLES, examples, hypothesis_profile


@pytest.fixture
def load_profile():
    """``load_profile(name)`` for one test; the profile loaded before comes back after it."""
    before = hypothesis_settings.get_current_profile_name()
    yield hypothesis_settings.load_profile
    hypothesis_settings.load_profile(before)


@pytest.mark.parametrize(
    ("environ", "profile"),
    [
        ({}, "dev"),
        ({"CI": "true"}, "ci"),
        ({"CI": "1"}, "ci"),
        ({"CI": "false"}, "dev"),
        ({"CI": "0"}, "dev"),
        ({"CI": ""}, "dev"),
        ({"HYPOTHESIS_PROFILE": "ci"}, "ci"),
        ({"CI": "true", "HYPOTHESIS_PROFILE": "dev"}, "dev"),
        ({"CI": "true", "HYPOTHESIS_PROFILE": ""}, "ci"),
    ],
)
def test_the_profile_follows_ci_unless_one_is_named(environ, profile):
    assert hypothesis_profile(environ) == profile


def test_ci_runs_hypothesis_default_count_and_each_tests_own_in_full(load_profile):
    load_profile("ci")

    assert hypothesis_settings().max_examples == CI_EXAMPLES == 100
    assert [examples(n) for n in (10_000, 300, 40, 1)] == [10_000, 300, 40, 1]


def test_dev_runs_a_tenth_and_at_least_one_example(load_profile):
    load_profile("dev")

    assert hypothesis_settings().max_examples == 10
    assert [examples(n) for n in (10_000, 300, 40, 5)] == [1_000, 30, 4, 1]


def test_a_profile_of_ones_own_scales_the_counts_too(load_profile):
    hypothesis_settings.register_profile("thorough-test", max_examples=1_000)
    load_profile("thorough-test")

    assert examples(300) == 3_000


def test_the_chaos_runs_deep_profile_gives_every_test_ten_thousand_examples(load_profile):
    load_profile("deep")

    assert hypothesis_settings().max_examples == DEEP_EXAMPLES == 10_000
    assert [examples(n) for n in (20_000, 300, 1)] == [20_000, 10_000, 10_000]
