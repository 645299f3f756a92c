# Two commands get a newcomer going: `make run` (the site with demo content) and `make test`.
# Both create .venv and install the pinned requirements first. Needs Python 3.11+ and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8001

.PHONY: run test lint format bench audit screenshots check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found: $$($(PYTHON) --version 2>&1)). Try: make PYTHON=python3.12 ..."; exit 1; }

$(INSTALLED): requirements.txt requirements-dev.txt | check-python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

## run: the site with demo content and the Mollie sandbox on http://$(HOST):$(PORT)
##      (SQLite, emails printed in this terminal; with MOLLIE_API_KEY set, no sandbox)
run: $(INSTALLED)
	DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DEBUG=1 $(BIN)/python manage.py load_demo
	DEBUG=1 DEMO=1 $(BIN)/python manage.py run_dev $(HOST):$(PORT) --sandbox-port $(SANDBOX_PORT)

## test: the whole test suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)
test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## screenshots: PNGs of the main pages, both languages, phone and desktop, into screenshots/
##              (needs Chromium: apt-get install chromium)
screenshots: $(INSTALLED)
	$(BIN)/python -m pytest tests/browser/test_screenshots.py -m screenshots -q
	@echo "Screenshots are in screenshots/"

## lint: ruff's checks and formatting check, and the dependency contracts between the apps
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## format: apply ruff's fixes and formatting
format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## audit: Lighthouse (mobile, desktop) and pa11y (htmlcs, axe) on every kind of page; a table
##        (PAGES="success supporter-area" audits only those)
##        (needs Chromium and npm: apt-get install chromium npm); not in `make test`
AUDIT_TOOLS := .audit/node_modules/.bin/lighthouse
$(AUDIT_TOOLS):
	mkdir -p .audit
	cd .audit && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --silent \
		lighthouse@12 pa11y@9
audit: $(INSTALLED) $(AUDIT_TOOLS)
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python -m bench.audit $(PAGES)

## bench: the benchmarks (PostgreSQL when DATABASE_URL is set, SQLite otherwise); not in `make test`
## (PEER=wordpress: WordPress from Debian measured beside the site, see bench/wordpress.py)
bench: $(INSTALLED)
	PEER=$(PEER) $(BIN)/python -m bench
