# Two entry points for a fresh machine: `make quickstart` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
KERNEL_SOURCES := $(shell find kernels -name '*.rs') Cargo.toml pyproject.toml

.PHONY: setup quickstart test lint bench clean

setup: $(STAMP)

# pip builds the Rust extension through maturin (the build backend) and installs it editable.
$(STAMP): $(KERNEL_SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

quickstart: setup
	$(BIN)/quantcli quickstart

test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" ./scripts/test.sh

lint: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" ./scripts/lint.sh

bench: setup
	QUANTCLI_BENCH_FULL=1 $(BIN)/pytest benchmarks --benchmark-only -p no:randomly

clean:
	rm -rf $(VENV) target .quantcli .pytest_cache .mypy_cache .ruff_cache
