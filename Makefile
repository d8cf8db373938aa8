# The two commands of the README: `make up` and `make test`.
SHELL := /bin/bash
VENV := .venv/bin
export VANBAN_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: up test test-sqlite test-postgres lint messages bench clean

up:
	@scripts/bootstrap.sh run
	@$(VENV)/vanban up

test:
	@scripts/bootstrap.sh test
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

lint:
	@echo "==> ruff"
	@$(VENV)/ruff check src tests bench
	@echo "==> import contracts"
	@$(VENV)/lint-imports --no-cache

test-sqlite:
	@echo "==> tests on SQLite"
	@env -u VANBAN_DATABASE_URL VANBAN_DATA_DIR=var/test-sqlite $(VENV)/pytest -q

test-postgres:
	@if $(VENV)/python scripts/pg_available.py "$$VANBAN_TEST_POSTGRES"; then \
	  echo "==> tests on PostgreSQL ($$VANBAN_TEST_POSTGRES)"; \
	  VANBAN_DATABASE_URL="$$VANBAN_TEST_POSTGRES" VANBAN_DATA_DIR=var/test-postgres $(VENV)/pytest -q; \
	else \
	  echo; \
	  echo "############################################################################"; \
	  echo "##  PostgreSQL is NOT reachable at $$VANBAN_TEST_POSTGRES"; \
	  echo "##  The PostgreSQL half of the suite was SKIPPED. Only SQLite was tested."; \
	  echo "############################################################################"; \
	  echo; \
	  if [ -n "$$VANBAN_REQUIRE_POSTGRES" ]; then exit 1; fi; \
	fi

messages:
	@cd src/vanban && ../../$(VENV)/vanban makemessages -l vi --no-obsolete --ignore 'static/*'

bench:
	@scripts/bootstrap.sh run
	@$(VENV)/python bench/ingest.py

clean:
	rm -rf .venv var
