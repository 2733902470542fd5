# lobscan: `make run` serves the app, `make test` runs the whole suite. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed
VENDOR := lobscan/static/vendor
export FLASK_APP := wsgi.py

.PHONY: run dev test test-fast lint install static db demo messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) static

# Front-end packages come from npm, pinned by package-lock.json, and are served from our own origin.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.stamp: node_modules/.package-lock.json
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/pico.min.css
	touch $@

static: $(VENDOR)/.stamp

db: install
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask lobscan demo

run: demo
	@echo "lobscan draait op http://127.0.0.1:$(PORT)  (stoppen: Ctrl+C)"
	$(BIN)/gunicorn --no-control-socket --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 \
		--access-logfile - wsgi:app

dev: demo
	$(BIN)/flask run --debug --port $(PORT)

test: install
	@scripts/ensure-chromium || true
	$(BIN)/ruff check --quiet .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS)

# The results' speed: median server time of the page and the JSON for 20, 200 and 2,000
# respondents (a throwaway SQLite database; LOBSCAN_BENCH_DATABASE_URL=postgresql://... for PostgreSQL).
bench: install
	$(BIN)/python scripts/bench_results.py

lint: install
	$(BIN)/ruff check .

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lobscan/translations/messages.pot .

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache
