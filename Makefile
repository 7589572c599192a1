# Entry points for the reseller portal. `make run` starts the demo; `make test`
# runs every check CI runs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck migrations-check pytest install install-dev clean

# The stamp files re-run pip only when a requirements file changes.
$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/python -m reseller.runner

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy --strict linode_api

migrations-check: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
