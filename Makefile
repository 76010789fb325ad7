# One command runs the portal, one tests it. Both create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_FLAGS ?= --quiet --disable-pip-version-check

.PHONY: run test install install-dev lint format messages bench bench-smoke clean

# What running needs; reinstalled whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) --upgrade pip
	$(PY) -m pip install $(PIP_FLAGS) .
	@touch $@

# The test extras (pytest, Playwright, schemathesis, ruff) on top, for make test and the tools.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install $(PIP_FLAGS) '.[dev]'
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Web on http://127.0.0.1:8000/, a Celery worker and beat; SQLite and a filesystem broker under
# var/ unless DATABASE_URL / REDIS_URL are set. Ctrl-C stops all three.
run: install
	$(PY) manage.py runall

# The suite runs in PYTEST_WORKERS processes (pytest-xdist, one per CPU; 0 runs it in this one),
# each with its own test database, Celery queue, cache keys and media folders (tests/conftest.py).
# Tests go out in runs of consecutive ones, so a module's shared fixtures (the access matrix's
# world, a browser) are made once per process at most. PYTEST_ARGS is passed on, e.g.
# PYTEST_ARGS="tests/access -x".
PYTEST_WORKERS ?= auto

test: install-dev
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist load $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# After changing a translatable string: extract, translate in locale/zh_Hans, compile.
messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore '.venv/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages -l zh_Hans --ignore '.venv/*'

bench: install
	@for script in bench/[!_]*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# Each bench small, checking its answers but not its speed (what tests/test_benches.py runs).
bench-smoke: install
	@for script in bench/[!_]*.py; do echo "== $$script --smoke"; $(PY) $$script --smoke || exit 1; done

clean:
	rm -rf var staticfiles .pytest_cache .ruff_cache
