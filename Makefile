# Two commands on a fresh machine: `make run` and `make test`. Everything lives in .venv/, installed
# from requirements-dev.lock (every package pinned with its hashes; generated from pyproject.toml).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements-dev.lock
# pip-tools, for `make lock` only, in a venv of its own (it is not a dependency of the bot)
PIP_TOOLS := pip-tools==7.6.2
LOCK_VENV := .venv-lock

.PHONY: run test test-pg venv lint lock check-lock package bench clean playground e2e
PYTEST_ARGS ?=

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Exactly the locked set: hashes are checked, nothing is resolved on the day, and packages the lock
# no longer names are removed, so `pip freeze` equals the lock (scripts/check_lock.py verifies it).
$(STAMP): $(PY) $(LOCK)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) scripts/check_lock.py --remove-extra $(LOCK)
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

## Ruff (lint and format check) and mypy, configured in pyproject.toml.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## Regenerate both locks from pyproject.toml (after changing a dependency there); commit them together.
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet $(PIP_TOOLS); }
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra dev -o requirements-dev.lock pyproject.toml

## Check that .venv holds exactly the locked versions (what .ci/run does before the tests).
check-lock: $(STAMP)
	$(PY) scripts/check_lock.py $(LOCK)

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
	rm -rf $(VENV) $(LOCK_VENV) data dist .pytest_cache
