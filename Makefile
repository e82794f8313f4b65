# Two set-up commands from a clean clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test check lint types install install-test browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# torch is optional: installed from a local wheel when the machine carries one (--no-index never
# reaches for the registry's multi-gigabyte CUDA builds; --no-deps because torch's own small
# dependencies come from the registry in the next step); without it the torch and embedding tests skip.
$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@if $(BIN)/python -m pip install --quiet --no-index --no-deps "torch==2.13.0"; then \
		$(BIN)/python -m pip install --quiet -e ".[test,text]"; \
	else \
		echo "no local torch 2.13.0 wheel: the torch and embedding tests will skip"; \
	fi
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test browser

# The web page's tests drive Debian's Chromium; install it where we can (root, apt), else
# those tests skip and say why.
browser:
	@if [ ! -x "$(CHROMIUM)" ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "installing chromium for the web page tests"; \
		{ apt-get update -qq >/dev/null; apt-get install -y -qq chromium >/dev/null; } || echo "chromium not installed: web page tests will skip"; \
	fi

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
