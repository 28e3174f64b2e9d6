# One set of commands locally and in CI. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall whenever the dependency list changes.
INSTALLED := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEV_INSTALLED := $(VENV)/.dev-installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
CHROMIUM := /usr/bin/chromium

.PHONY: run test test-fast lint format bench install install-dev chromium clean help

help:
	@echo "make run       set up (venv, install, migrate) and serve on http://127.0.0.1:8080"
	@echo "make test      set up and run the whole test suite"
	@echo "make test-fast the suite without browser and media tests"
	@echo "make lint      ruff check, ruff format --check, mypy"
	@echo "make bench     run the benchmarks and write docs/benchmarks.md"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(DEV_INSTALLED): $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.dev-installed-* $(VENV)/.installed-*
	touch $@ $(INSTALLED)

install: $(INSTALLED)
install-dev: $(DEV_INSTALLED)

# Browser tests drive Debian's Chromium (Playwright's own download cannot work here).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; \
	fi

run: install
	$(BIN)/liveinterview migrate
	exec $(BIN)/liveinterview serve

test: install-dev chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-dev
	$(BIN)/python -m pytest -m "not browser and not media" $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
