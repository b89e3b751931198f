# triggerwatch: `make demo` runs the whole pipeline locally, `make test` runs the test suite.
# Each target is self-sufficient on a fresh machine: it creates .venv and installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_STAMP := $(VENV)/.apt-installed
# Debian packages the project needs: Voikko (Finnish morphology), English and Swedish word lists
# (the linker's common-word test) and Chromium (browser tests).
APT_PACKAGES := libvoikko1 voikko-fi wamerican wswedish chromium

.PHONY: demo up test lint bench eval install system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# System packages; skipped when there are none, when not root or without apt-get.
$(APT_STAMP): | $(BIN)/python
	@if [ -z "$(strip $(APT_PACKAGES))" ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || { echo "error: could not install $$missing"; exit 1; }; \
	  fi; \
	else echo "note: not root or no apt-get: skipping $(APT_PACKAGES)"; fi
	@touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) $(APT_STAMP)
system-deps: $(APT_STAMP)

demo: install
	$(BIN)/triggerwatch demo

up: install
	$(BIN)/triggerwatch up

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check services tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python -m bench

# quality on the labelled sets (dev and held-back parts, next to their baselines): trigger
# classification, company linking (and the FiNER articles, skipped when ../shared is absent),
# scoring on the planted-segment generator (dev seeds)
eval: install
	$(BIN)/python -m bench.eval_triggers
	$(BIN)/python -m bench.eval_linking
	$(BIN)/python -m bench.finer_eval
	$(BIN)/python -m bench.eval_scoring

clean:
	rm -rf .triggerwatch .pytest_cache .mypy_cache .ruff_cache
