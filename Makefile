# Rolodex: `make help` lists the targets.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-8)
HOST ?= 127.0.0.1
PORT ?= 8000
SIZE ?= 1000000
BENCH_ARGS ?=
TEST_ARGS ?= -n logical

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP) ## create .venv and install Rolodex with the dev extras

run: install ## migrate ./rolodex.db, load the demo organization, print its admin key, serve on :8000
	$(BIN)/rolodex demo --clients 300
	@echo "Admin API key above; OpenAPI UI at http://$(HOST):$(PORT)/docs"
	$(BIN)/rolodex serve --host $(HOST) --port $(PORT)

test: install ## run the whole test suite (SQLite always, PostgreSQL when reachable)
	@# Compiled beforehand: CPython 3.11.7 can fail to compile a module imported deep in a
	@# test's stack (docs/decisions.md, "The install compiles every package's bytecode").
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m pytest -q -p no:cacheprovider $(TEST_ARGS)

lint: install ## ruff lint and format check
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations

types: install ## mypy --strict on the package
	$(BIN)/mypy

migrate: install ## apply migrations to ROLODEX_DATABASE_URL (default ./rolodex.db)
	$(BIN)/rolodex db upgrade

revision: install ## new migration: make revision m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

fuzz: install ## a longer schemathesis run against the OpenAPI document
	ROLODEX_FUZZ_EXAMPLES=300 ROLODEX_FUZZ_COVERAGE=1 ROLODEX_FUZZ_STEPS=12 $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

bench: install ## benchmarks against the framework floor (SIZE=100000 for a quick look)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -c 'import matplotlib, psutil' 2>/dev/null || \
		$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev,bench]'
	$(BIN)/python -m bench.run --size $(SIZE) $(BENCH_ARGS)

bench-import: install ## CSV import rate on PostgreSQL (ROWS=100000 by default; ROWS=1000000)
	$(BIN)/python -m bench.import_rate --rows $(or $(ROWS),100000) --rerun

.PHONY: help install run test lint types migrate revision fuzz bench bench-import
