# GVO: the two commands a new user runs are `make run` and `make test`.
# Everything else here is what those two need on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
INSTANCE ?= instances

.PHONY: run test setup lint bench load clean chromium test-packages fonts

run: $(STAMP) fonts
	@if [ ! -f "$(INSTANCE)/control.db" ]; then $(VENV)/bin/gvo --instance "$(INSTANCE)" demo; \
	else $(VENV)/bin/gvo --instance "$(INSTANCE)" demo --show; fi
	$(VENV)/bin/gvo --instance "$(INSTANCE)" serve --host 127.0.0.1 --port 8000

test: $(STAMP) test-packages fonts
	$(VENV)/bin/ruff check gvo tests scripts
	$(PY) -m pytest -p no:cacheprovider

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Tests drive Debian's Chromium (browser tests) and nginx (GVO behind its documented
# proxy: tests/test_behind_nginx.py); install whichever is missing, in one apt run.
# (On a machine with systemd, Debian starts the installed nginx on port 80; the tests run
# their own nginx on loopback and do not need that one: `systemctl disable --now nginx`.)
TEST_PACKAGES := chromium:chromium nginx:/usr/sbin/nginx

test-packages:
	@missing=""; for entry in $(TEST_PACKAGES); do 	  pkg=$${entry%%:*}; cmd=$${entry#*:}; 	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; 	if [ -n "$$missing" ]; then 	  echo "Installing Debian's$$missing for the tests..."; 	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; 	  $$SUDO apt-get update -qq && 	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

chromium: test-packages

# PDFs draw scripts DejaVu Sans lacks (Arabic, Hebrew, Indic, Thai, CJK...) in Debian's Noto
# fonts (gvo/meetings/pdf.py FALLBACKS); without them such text shows as U+FFFD.
FONT_PACKAGES := fonts-noto-core:/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf \
	fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

fonts:
	@missing=""; for entry in $(FONT_PACKAGES); do \
	  pkg=$${entry%%:*}; file=$${entry#*:}; \
	  [ -f "$$file" ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing for PDFs in every script..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	  || echo "Could not install$$missing: PDFs will show those scripts as U+FFFD."; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check gvo tests scripts

# Benchmarks print ratios measured in one run, each beside its target.
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) scripts/bench/storage.py
	$(PY) scripts/bench/replication.py
	$(PY) scripts/bench/documents.py
	$(PY) scripts/bench/pack.py
	$(PY) scripts/bench/scale.py

# 50 governors against `gvo serve` with replication on, for MINUTES minutes (scripts/load/).
MINUTES ?= 10
load: $(STAMP)
	$(PY) -m pip install --quiet -e '.[load]'
	$(PY) scripts/load/run.py --minutes $(MINUTES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
