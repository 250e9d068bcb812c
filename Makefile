# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint

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

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
