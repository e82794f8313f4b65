# Two set-up commands from a clean clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check lint types install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/stream-al demo

test: install-test
	$(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check stream_al consumers producers tests benchmarks
	$(BIN)/ruff format --check stream_al consumers producers tests benchmarks

types: install-test
	$(BIN)/mypy stream_al

check: lint types test

bench: install-test
	$(BIN)/python benchmarks/label_efficiency.py

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache
