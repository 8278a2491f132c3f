# The two commands a newcomer needs: `make run` and `make test`. Everything else is here for them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-$(shell cat setup.cfg | cksum | cut -d' ' -f1)
CATALOGUES := $(wildcard translations/*/en/LC_MESSAGES/messages.po)
TRANSLATION_PARTS := core accounts petitions proposals polls forums surveys budgets indicators
PYTEST_ARGS ?=
# Two pytest-xdist workers, one test file each at a time (tests/conftest.py gives each its own databases), taken in
# collection order: files with a test marked slow first (tests/conftest.py). `make test PYTEST_WORKERS=0` runs in
# one process.
PYTEST_WORKERS ?= 2

.PHONY: install run test test-deps translations extract-messages lint bench soak clean

install: $(STAMP)

$(STAMP): setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev,test,bench]'
	rm -f $(VENV)/.installed-* && touch $@

translations: install
	@for po in $(CATALOGUES); do \
	  $(BIN)/pybabel -q compile -i $$po -o $${po%.po}.mo || exit 1; done

# Re-extract every part's messages and merge them into its English catalogue.
extract-messages: install
	$(BIN)/python -m participation.i18n extract $(TRANSLATION_PARTS)

# `make run` is a developer machine, said explicitly: anything else runs as production (see README, Security).
run: export PARTICIPATION_ENVIRONMENT ?= development
run: translations
	$(FLASK) db upgrade
	$(FLASK) indicators load
	$(FLASK) seed-demo
	$(FLASK) serve

# Debian's chromium and the CJK fonts (without them Korean renders as empty boxes in screenshots), and
# pgbouncer (the PostgreSQL leg checks the app through it in transaction mode).
test-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
	    || ! command -v pgbouncer >/dev/null 2>&1; then \
	  echo "installing chromium, fonts-noto-cjk and pgbouncer (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk pgbouncer \
	    >/dev/null; \
	fi

test: install test-deps translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: translations
	$(BIN)/python -m bench

soak: translations
	$(BIN)/python -m pytest -m slow tests/reliability $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance test-artifacts
