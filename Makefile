# GVO: the two commands a new user runs are `make run` and `make test`.
# Everything else here is what those two need on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
INSTANCE ?= instances

.PHONY: run test setup lint bench clean chromium

run: $(STAMP)
	@if [ ! -f "$(INSTANCE)/control.db" ]; then $(VENV)/bin/gvo --instance "$(INSTANCE)" demo; \
	else $(VENV)/bin/gvo --instance "$(INSTANCE)" demo --show; fi
	$(VENV)/bin/gvo --instance "$(INSTANCE)" serve --host 127.0.0.1 --port 8000

test: $(STAMP) chromium
	$(VENV)/bin/ruff check gvo tests scripts
	$(PY) -m pytest -p no:cacheprovider

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Browser tests drive Debian's Chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(VENV)/bin/ruff check gvo tests scripts

# Benchmarks print ratios measured in one run, each beside its target.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) scripts/bench/storage.py
	$(PY) scripts/bench/replication.py
	$(PY) scripts/bench/documents.py
	$(PY) scripts/bench/pack.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
