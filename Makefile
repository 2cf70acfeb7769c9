# Two commands on a fresh machine with only python3 and make:
#   make demo   - create .venv, install, batch-screen a simulated cohort into its own
#                 database (demo.json in the user data dir), show one plan
#   make demo-clean - remove that demo database
#   make test   - create .venv, install with test extras, ruff, mypy --strict, pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-clean test lint typecheck install install-test clean chromium postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The main job on the embedded default: bundled content, TinyDB in the user data dir.
# The simulated people go to their own file there, demo.json beside the results
# database (`screener db path`), never into it; re-running stores nothing twice;
# `make demo-clean` removes them.
DEMO_DB = "$$(dirname "$$($(BIN)/screener db path)")/demo.json"

demo: install
	$(BIN)/screener simulate wblc-screening --n 200 --seed 1 --output $(VENV)/demo-cohort.csv
	SCREENER_DB=$(DEMO_DB) $(BIN)/screener batch $(VENV)/demo-cohort.csv --assessment wblc-screening
	SCREENER_DB=$(DEMO_DB) $(BIN)/screener show sim-000001
	@echo "demo database: $(DEMO_DB) (simulated people only; remove it with: make demo-clean)"
	@echo "your results database: $$($(BIN)/screener db path) (untouched by the demo)"
	@echo "look around the demo: SCREENER_DB=$(DEMO_DB) $(BIN)/screener results"

demo-clean: install
	rm -f $(DEMO_DB) $(DEMO_DB).lock

lint: install-test
	$(BIN)/ruff check screener tests benchmarks

typecheck: install-test
	$(BIN)/mypy --strict screener

# the HTML report test renders in headless Chromium; CI runs as root on Debian
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

# the PostgreSQL tests start a throw-away cluster (tests/pgserver.py) with Debian's server
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null)

test: lint typecheck chromium postgres
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
