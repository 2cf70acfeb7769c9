# Two commands on a fresh machine with only python3 and make:
#   make demo   - create .venv, install, batch-screen a simulated cohort, show one plan
#   make test   - create .venv, install with test extras, ruff, mypy --strict, pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck install install-test clean chromium

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

# The main job on the embedded default: bundled content, the TinyDB file in the
# user data dir (`screener db path`). Re-running stores nothing twice.
demo: install
	$(BIN)/screener simulate wblc-screening --n 200 --seed 1 --output $(VENV)/demo-cohort.csv
	$(BIN)/screener batch $(VENV)/demo-cohort.csv --assessment wblc-screening
	$(BIN)/screener show sim-000001
	@echo "results database: $$($(BIN)/screener db path)"

lint: install-test
	$(BIN)/ruff check screener tests benchmarks

typecheck: install-test
	$(BIN)/mypy --strict screener

# the HTML report test renders in headless Chromium; CI runs as root on Debian
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

test: lint typecheck chromium
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
