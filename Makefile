# shebao — two commands on a fresh machine with Python 3.11:
#   make run    install into .venv and serve on SQLite with the catalog loaded
#   make test   install into .venv (with test tools) and run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SOAK_SECONDS ?= 600

.PHONY: run test test-postgres lint typecheck bench bench-smoke bench-deps soak install install-dev browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"

run: install
	$(BIN)/shebao serve --host $(HOST) --port $(PORT) $(if $(DEMO),--demo,)

# Browser tests need Debian's chromium and CJK fonts; they skip (saying so) when the
# browser is absent. `make browser-deps` installs them (root, Debian/Ubuntu).
browser-deps:
	apt-get install -y --no-install-recommends chromium fonts-noto-cjk poppler-utils

test: install-dev
	$(BIN)/python -m pytest

test-postgres: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shebao} $(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/python -m mypy shebao config

# Every script in bench/ (bench/README.md), on SQLite and on the PostgreSQL server at
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/shebao_bench; skipped if it is
# not reachable); one table at the end. Full sizes take a while (1,000,000 cases are generated).
BENCH_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/shebao_bench
bench: install-dev
	$(BIN)/python bench/run.py --postgres $(BENCH_POSTGRES_URL)

# Small sizes, a couple of minutes: each benchmark runs and its machine-independent checks hold.
bench-smoke: install-dev
	$(BIN)/python bench/run.py --smoke --postgres $(BENCH_POSTGRES_URL)

# The HTTP benchmark's load generator (root, Debian/Ubuntu).
bench-deps:
	apt-get install -y --no-install-recommends wrk

# Ten minutes of mixed clerk and applicant traffic against the served app (not CI; docs/security-tests.md).
soak: install-dev
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
