# Backchannel: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
BIN     := $(VENV)/bin
PY      := $(BIN)/python
STAMP   := $(VENV)/.installed
# Python 3.12, as in Lambda: from PATH (pyenv resolves it through .python-version), else pyenv's folder.
PYTHON  ?= $(shell command -v python3.12 >/dev/null 2>&1 && python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null | tail -1)
PORT    ?= 3000
AWS_PORT ?= 5000
DEMO    ?= 1
PYTEST_ARGS ?= -n auto --dist loadfile

export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled

.PHONY: help venv run test lint template-check unit bench user openapi clean

help:
	@echo "make run     start Backchannel locally (moto + gateway on 127.0.0.1:$(PORT))"
	@echo "make test    lint, template checks and the whole test suite"
	@echo "make user NAME=alice [ORGANISER=1]   create a local user and print a bearer token"
	@echo "make bench   cold-start benchmarks"
	@echo "make openapi regenerate openapi.json"

$(STAMP): requirements/dev.txt layers/backchannel/requirements.txt
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12 not found: install it (pyenv install 3.12) or set PYTHON=/path/to/python3.12" >&2; exit 1; fi
	@echo "Setting up $(VENV) with $(PYTHON)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@cd requirements && ../$(PY) -m pip install --quiet --disable-pip-version-check -r dev.txt
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@$(PY) -m local --port $(PORT) --aws-port $(AWS_PORT) $(if $(filter 0,$(DEMO)),--no-demo,)

user: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make user NAME=alice [ORGANISER=1]" >&2; exit 2; }
	@$(PY) -m local.user "$(NAME)" $(if $(filter 1,$(ORGANISER)),--organiser,)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

template-check: $(STAMP)
	$(BIN)/cfn-lint --append-rules cfn_lint_serverless.rules -- template.yaml

test: lint template-check
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks

openapi: $(STAMP)
	$(PY) -m backchannel_openapi > openapi.json

clean:
	rm -rf $(VENV) .local .pytest_cache .ruff_cache
