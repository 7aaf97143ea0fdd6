# Two commands for a fresh machine: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
DEMO_CASES ?= 400
BENCH_CASES ?= 1000000

.PHONY: run test test-pg test-sqlite install migrate lint audit diagram bench clean i18n translations fuzz

# Translations: the catalogues (.po) are in the repository, the compiled .mo files are built here.
TRANSLATIONS := mediation/translations
PO := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	@$(BIN)/pybabel compile --statistics -i $< -o $@ -l $*

translations: $(MO)

install: $(STAMP) $(MO)

# Extract every visible string (babel.cfg) into messages.pot and update each catalogue; then
# translate the new entries in $(TRANSLATIONS)/zh/LC_MESSAGES/messages.po (the English msgids
# need no translation) and `make translations`.
i18n: $(STAMP)
	@$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project mediation -o $(TRANSLATIONS)/messages.pot .
	@$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching \
		--width 120 --ignore-obsolete --ignore-pot-creation-date
	@$(MAKE) -s translations

migrate: $(STAMP) $(MO)
	@$(FLASK) db upgrade

# Web app, Celery worker and beat on the embedded default (SQLite + embedded Redis) unless
# DATABASE_URL / CELERY_BROKER_URL say otherwise. Ctrl-C stops all of them. The demo (with its
# published password) is seeded into an empty embedded database only; DEMO=1 asks for it anywhere.
run: migrate
	@$(FLASK) seed-demo --if-empty --cases $(DEMO_CASES) $(if $(filter 1,$(DEMO)),,--embedded-only)
	@exec $(BIN)/python -m mediation.commands.runner

# The whole suite. TEST_DATABASE_URL=postgresql://… runs it on PostgreSQL (CI does both).
test: $(STAMP) $(MO) audit
	@$(BIN)/pytest $(PYTEST_ARGS)

# Static security analysis (bandit); every finding is fixed or justified in pyproject.toml [tool.bandit].
# The dependency vulnerability audit (pip-audit) is a release step: docs/security.md.
audit: $(STAMP)
	@$(BIN)/bandit -q -c pyproject.toml -r mediation workflows demo 2>&1 | grep -v "nosec encountered" ; \
	  exit $${PIPESTATUS[0]}

# Before a release: schemathesis with every phase and 100 examples per operation (about five
# minutes; docs/api-notes.md). FUZZ_SEED=… replays a run; TEST_DATABASE_URL as for `make test`.
fuzz: $(STAMP) $(MO)
	@FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} FUZZ_TIMEOUT=$${FUZZ_TIMEOUT:-1500} FUZZ_SEED=$${FUZZ_SEED:-$$RANDOM$$RANDOM} \
		$(BIN)/pytest tests/api/test_fuzz.py -s $(PYTEST_ARGS)

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
