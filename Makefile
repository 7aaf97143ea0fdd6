# Two commands for a fresh machine: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
DEMO_CASES ?= 400
BENCH_CASES ?= 1000000

.PHONY: run test test-pg test-sqlite install migrate lint audit diagram bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	@$(FLASK) db upgrade

# Web app, Celery worker and beat on the embedded default (SQLite + embedded Redis) unless
# DATABASE_URL / CELERY_BROKER_URL say otherwise. Ctrl-C stops all of them. The demo (with its
# published password) is seeded into an empty embedded database only; DEMO=1 asks for it anywhere.
run: migrate
	@$(FLASK) seed-demo --if-empty --cases $(DEMO_CASES) $(if $(filter 1,$(DEMO)),,--embedded-only)
	@exec $(BIN)/python -m mediation.commands.runner

# The whole suite. TEST_DATABASE_URL=postgresql://… runs it on PostgreSQL (CI does both).
test: $(STAMP) audit
	@$(BIN)/pytest $(PYTEST_ARGS)

# Static security analysis (bandit); every finding is fixed or justified in pyproject.toml [tool.bandit].
# The dependency vulnerability audit (pip-audit) is a release step: docs/security.md.
audit: $(STAMP)
	@$(BIN)/bandit -q -c pyproject.toml -r mediation workflows demo 2>&1 | grep -v "nosec encountered" ; \
	  exit $${PIPESTATUS[0]}

lint: $(STAMP)
	@$(BIN)/ruff check mediation workflows demo tools tests bench migrations wsgi.py worker.py

diagram: $(STAMP)
	@$(BIN)/python -m tools.draw_workflow docs/workflow.svg

# Every scenario of issue 14 against its baseline on a dedicated database (created and dropped by the
# bench), gunicorn as the README runs it, wrk at 32 connections; exits 1 when a goal is missed.
# `make bench BENCH_CASES=100000` for a quicker run; BENCH_ARGS="--rounds 5 --duration 10" etc.
bench: $(STAMP)
	@$(BIN)/python -m bench.run --cases $(BENCH_CASES) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
