# Linli — the two commands a newcomer needs:
#   make run    the embedded demo on http://127.0.0.1:5000 (SQLite, in-process jobs, demo data, dev login)
#   make test   the whole suite: Python (SQLite, plus PostgreSQL when TEST_DATABASE_URL is set) and mini-program
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
export PORT

.PHONY: run test test-python test-miniprogram worker bench openapi clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-prod.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

miniprogram/node_modules/.deps: miniprogram/package.json miniprogram/package-lock.json
	cd miniprogram && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.run-deps
	$(PY) -m backend serve

test: test-python test-miniprogram

test-python: $(VENV)/.dev-deps
	env -u TEST_DATABASE_URL $(PY) -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "--- again on $$TEST_DATABASE_URL"; \
		$(PY) -m pytest -q; \
	fi

test-miniprogram: $(VENV)/.dev-deps miniprogram/node_modules/.deps
	cd miniprogram && npm run build:npm --silent && LINLI_PYTHON=$(CURDIR)/$(PY) npm test --silent

worker: $(VENV)/.run-deps
	$(PY) -m backend.worker

bench: $(VENV)/.dev-deps
	$(PY) -m bench.locate

openapi: $(VENV)/.run-deps
	FLASK_APP=backend.app:create_app $(VENV)/bin/flask openapi write --format=json docs/openapi.json

clean:
	rm -rf $(VENV) instance miniprogram/node_modules miniprogram/miniprogram_npm
