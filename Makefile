# Two commands on a fresh machine with only python3 and make:
#   make demo   - create .venv, install, screen a sample from the bundled content
#   make test   - create .venv, install with test extras, ruff, mypy --strict, pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck install install-test clean

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
	$(BIN)/screener score docs/examples/answers-form-a.yaml --form A

lint: install-test
	$(BIN)/ruff check screener tests benchmarks

typecheck: install-test
	$(BIN)/mypy --strict screener

test: lint typecheck
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
