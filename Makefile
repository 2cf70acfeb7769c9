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

demo: install
	rm -f $(VENV)/demo.json $(VENV)/demo.json.lock $(VENV)/demo-cohort.csv
	$(BIN)/screener simulate wblc-screening --n 200 --seed 1 --output $(VENV)/demo-cohort.csv
	$(BIN)/screener --db $(VENV)/demo.json batch $(VENV)/demo-cohort.csv --assessment wblc-screening
	$(BIN)/screener --db $(VENV)/demo.json show sim-000001

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
