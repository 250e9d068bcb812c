# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench screenshots axe chaos

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Web server + worker on SQLite with the simulator gateway and the demo login.
run: $(VENV)/.installed
	DEBUG=$${DEBUG:-1} $(PY) manage.py rundemo

# The test suite: SQLite by default, PostgreSQL when DATABASE_URL points at it.
# Browser tests need Debian's chromium (installed here when missing and root).
test: $(VENV)/.installed
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || echo "chromium missing: browser tests will be skipped"
	$(PY) -m pytest $(PYTEST_ARGS)

# The chaos tests (tests/chaos): faults injected into real processes on a PostgreSQL
# cluster and a Redis server of their own; slow, so apart from `make test`.
# Then the property tests of what reads outside input (number normaliser, GSM-7 counter,
# mail body and MIME parsers, SMSC's fields and time, the API's and SMSC's renderers)
# at 10,000 examples each (the "deep" Hypothesis profile, tests/conftest.py).
PROPERTY_TESTS = tests/messaging/test_numbers.py tests/messaging/test_gsm7.py \
	tests/mailbridge/test_parse.py tests/mailbridge/test_mime.py tests/messaging/smsc/wire \
	tests/messaging/api/test_render_properties.py tests/messaging/test_statuslist.py
chaos: $(VENV)/.installed
	$(PY) -m pytest -m chaos tests/chaos $(PYTEST_ARGS)
	HYPOTHESIS_PROFILE=deep $(PY) -m pytest -q $(PROPERTY_TESTS) $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Benchmarks (P1-P5, CB, U1, LOAD): prints figures, asserts nothing. Needs PostgreSQL
# and wrk; makes and drops its own database. BENCH_ARGS, e.g. "--only p2 --duration 5".
BENCH_DB ?= smspanel_bench
bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
	psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $(BENCH_DB)" -c "CREATE DATABASE $(BENCH_DB)"
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DB) $(PY) manage.py migrate -v0
	DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DB) $(PY) manage.py bench $(BENCH_ARGS)
	psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $(BENCH_DB)"

# Screenshots of every panel page at 390 and 1280 px, Polish and English, with the
# pages' widths (widths.txt), for a reviewer to look at; CI does not run it.
SCREENSHOTS ?= var/screenshots
screenshots: $(VENV)/.installed
	SCREENSHOTS=$(SCREENSHOTS) $(PY) -m pytest -q -p no:cacheprovider tests/panel/screenshots.py
	@echo "PNGs and widths.txt in $(SCREENSHOTS)/"

# The accessibility test (tests/panel/test_accessibility.py): axe-core on every panel
# page in Polish; shows its report, each page's violations by impact, pass or fail.
AXE_REPORT ?= var/axe-report.txt
axe: $(VENV)/.installed
	@rm -f $(AXE_REPORT); AXE_REPORT=$(AXE_REPORT) $(PY) -m pytest -q -p no:cacheprovider tests/panel/test_accessibility.py; \
		status=$$?; cat $(AXE_REPORT); exit $$status
