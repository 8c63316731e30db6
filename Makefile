# GVO: the two commands a new user runs are `make run` and `make test`.
# Everything else here is what those two need on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
INSTANCE ?= instances
# Where `make run` serves: `make run PORT=8080`, `make run HOST=0.0.0.0 PORT=8080`.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint bench load clean chromium test-packages fonts office oidc-provider

run: $(STAMP) fonts office
	@if [ ! -f "$(INSTANCE)/control.db" ]; then \
	  $(VENV)/bin/gvo --instance "$(INSTANCE)" demo --host "$(HOST)" --port "$(PORT)"; \
	else $(VENV)/bin/gvo --instance "$(INSTANCE)" demo --show --host "$(HOST)" --port "$(PORT)"; fi
	$(VENV)/bin/gvo --instance "$(INSTANCE)" serve --host "$(HOST)" --port "$(PORT)"

test: $(STAMP) test-packages fonts office oidc-provider
	$(VENV)/bin/ruff check gvo tests scripts
	$(PY) -m pytest -p no:cacheprovider

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Tests drive Debian's Chromium (browser tests), and nginx and Caddy (GVO behind each of its
# documented proxies: tests/deploy/); install whichever is missing, in one apt run.
# (On a machine with systemd, Debian starts the installed nginx and Caddy on ports 80/443;
# the tests run their own on loopback and need neither: `systemctl disable --now nginx caddy`.)
TEST_PACKAGES := chromium:chromium nginx:/usr/sbin/nginx caddy:/usr/bin/caddy

test-packages:
	@missing=""; for entry in $(TEST_PACKAGES); do 	  pkg=$${entry%%:*}; cmd=$${entry#*:}; 	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; 	if [ -n "$$missing" ]; then 	  echo "Installing Debian's$$missing for the tests..."; 	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; 	  $$SUDO apt-get update -qq && 	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

chromium: test-packages

# The OpenID Connect tests sign in against a real OpenID Provider on loopback: the npm
# package oidc-provider (version pinned with its dependencies in tests/oidc/package-lock.json),
# run by Node.js from this cache (gitignored); tests/oidc_provider.py starts it.
OIDC_PROVIDER_DIR := .cache/oidc-provider
OIDC_STAMP := $(OIDC_PROVIDER_DIR)/.installed-$(shell cat tests/oidc/package-lock.json | sha256sum | cut -c1-12)

oidc-provider: $(OIDC_STAMP)

$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	@mkdir -p $(OIDC_PROVIDER_DIR)
	cp tests/oidc/package.json tests/oidc/package-lock.json $(OIDC_PROVIDER_DIR)/
	cd $(OIDC_PROVIDER_DIR) && npm ci --ignore-scripts --no-audit --no-fund --silent
	@rm -f $(OIDC_PROVIDER_DIR)/.installed-*
	@touch $@

# $(call apt_install,ENTRIES,WHAT FOR,WITHOUT THEM): install, in one apt run, the Debian
# packages of ENTRIES (package:file) whose file is missing; if that fails, say WITHOUT THEM.
define apt_install
	@missing=""; for entry in $(1); do \
	  pkg=$${entry%%:*}; file=$${entry#*:}; \
	  [ -f "$$file" ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing $(2)..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null \
	  || echo "Could not install$$missing: $(3)."; fi
endef

# PDFs draw scripts DejaVu Sans lacks (Arabic, Hebrew, Indic, Thai, CJK...) in Debian's Noto
# fonts (gvo/meetings/pdf.py FALLBACKS); without them such text shows as U+FFFD.
FONT_PACKAGES := fonts-noto-core:/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf \
	fonts-noto-cjk:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

fonts:
	$(call apt_install,$(FONT_PACKAGES),for PDFs in every script,PDFs will show those scripts as U+FFFD)

# Board packs merge Word, Excel, PowerPoint and OpenDocument papers as PDFs that Debian's
# LibreOffice makes (headless, no desktop: gvo/library/pdf_copies.py). Without it GVO still
# runs and packs list such papers as "provided separately"; the tests need it.
OFFICE_PACKAGES := libreoffice-writer-nogui:/usr/lib/libreoffice/program/libswlo.so \
	libreoffice-calc-nogui:/usr/lib/libreoffice/program/libsclo.so \
	libreoffice-impress-nogui:/usr/lib/libreoffice/program/libwpftimpresslo.so

office:
	$(call apt_install,$(OFFICE_PACKAGES),to put office papers in board packs,packs will list office papers as provided separately)

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
	$(PY) scripts/bench/pages.py
	$(PY) scripts/bench/page_cpu.py

# 50 governors against `gvo serve` with replication on, for MINUTES minutes (scripts/load/).
MINUTES ?= 10
load: $(STAMP)
	$(PY) -m pip install --quiet -e '.[load]'
	$(PY) scripts/load/run.py --minutes $(MINUTES)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .cache
