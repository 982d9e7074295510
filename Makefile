# Two commands on a fresh machine: `make run` and `make test`. Everything lives in .venv/.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-pg venv package bench clean playground e2e
PYTEST_ARGS ?=

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

## Set up and start the bot in local mode (SQLite in data/, demo cohort, no Azure).
run: $(STAMP)
	$(PY) -m bot db upgrade
	$(PY) -m bot demo
	DEMO_COHORT=$${DEMO_COHORT:-demo} $(PY) app.py

## Set up and run the whole test suite (SQLite; tests marked `postgres` skip).
test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

## The whole suite again on a throwaway PostgreSQL cluster (Debian's postgresql), stopped at exit.
test-pg: $(STAMP)
	scripts/test-pg.sh $(PY) $(PYTEST_ARGS)

NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js 20 and npm are needed for the Agents Playground"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

## Try the bot: bot (local mode, fresh demo SQLite) + Microsoft 365 Agents Playground; prints the URL to open.
playground: $(STAMP) $(NODE_STAMP)
	$(PY) -m playground

## End-to-end tests: the Playground driven in headless Chromium (/usr/bin/chromium); screenshots in tests/e2e/screenshots/.
e2e: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests/e2e

## Build the Teams app zip (needs MicrosoftAppId) into dist/.
package: $(STAMP)
	$(PY) -m manifest.package

bench: $(STAMP)
	$(PY) bench/inbound.py

clean:
	rm -rf $(VENV) data dist .pytest_cache
