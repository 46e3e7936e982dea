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
# One file per worker at a time, in collection order: the long directories (browser, flows, fuzz) start
# first and the many short unit files fill the end, instead of a long file starting last.
PYTEST_ARGS ?= -n auto --dist loadfile --no-loadscope-reorder

export AWS_ACCOUNT_ID_ENDPOINT_MODE := disabled

.PHONY: help venv run test lint template-check unit bench user openapi clean browser epubcheck web-config web-deploy

help:
	@echo "make run     start Backchannel locally (moto + gateway on 127.0.0.1:$(PORT))"
	@echo "make test    lint, template checks and the whole test suite"
	@echo "make user NAME=alice [ORGANISER=1]   create a local user and print a bearer token"
	@echo "make bench   benchmarks: cold start, DynamoDB calls, keynote burst, packs, circulation, latency"
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

test: lint template-check browser epubcheck
	$(BIN)/pytest $(PYTEST_ARGS)

# Debian's packages for the browser and EPUB tests: said where they are, installed when missing (as
# root, with apt-get), otherwise a hint on stderr and those tests skip (or fail when CI is set). Each
# target sets FOUND (a test of the package), WHERE (what to say of it), PACKAGE, MISSING and HINT.
empty :=
define debian_package
	@if $(FOUND); then \
	  echo "$@: $(WHERE)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "$@: installing Debian's $(PACKAGE): apt-get update && apt-get install -y --no-install-recommends $(PACKAGE)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(PACKAGE); \
	else \
	  echo "$@: $(MISSING)" >&2; \
	  echo "$(HINT)" >&2; \
	fi
endef

# Chromium drives the browser tests (tests/browser, through Playwright; no browser download).
CHROMIUM ?= /usr/bin/chromium
browser: PACKAGE = chromium
browser: FOUND = [ -x "$(CHROMIUM)" ]
browser: WHERE = $$($(CHROMIUM) --version 2>/dev/null | head -1) at $(CHROMIUM)
browser: MISSING = $(CHROMIUM) is missing; install Debian's chromium (sudo apt-get install chromium),
browser: HINT = $(empty)         or set CHROMIUM=/path/to/chromium. Without it the browser tests skip (fail when CI is set).
browser:
	$(debian_package)

# epubcheck validates the EPUB packs (tests/integration/packs/test_epubcheck.py).
epubcheck: PACKAGE = epubcheck
epubcheck: FOUND = command -v epubcheck >/dev/null 2>&1
epubcheck: WHERE = $$(command -v epubcheck)
epubcheck: MISSING = missing; install Debian's epubcheck (sudo apt-get install epubcheck).
epubcheck: HINT = $(empty)           Without it the EPUB validation test skips (fails when CI is set).
epubcheck:
	$(debian_package)

# The deployed page reads config.json next to it: write it from the stack's outputs, then upload.
STACK ?= backchannel
web-config:
	@mkdir -p .local
	@aws cloudformation describe-stacks --stack-name "$(STACK)" --query "Stacks[0].Outputs" --output json \
	  | python3 -c 'import json,sys; o={x["OutputKey"]: x["OutputValue"] for x in json.load(sys.stdin)}; print(json.dumps({k: o[k] for k in ("ApiUrl", "WebSocketUrl", "UserPoolId", "UserPoolClientId") if k in o}, indent=2))' \
	  > .local/web-config.json
	@cat .local/web-config.json

web-deploy: web-config
	@bucket=$$(aws cloudformation describe-stacks --stack-name "$(STACK)" --query "Stacks[0].Outputs[?OutputKey=='WebBucketName'].OutputValue" --output text); \
	  aws s3 sync web/ "s3://$$bucket/" --delete --exclude config.json && \
	  aws s3 cp .local/web-config.json "s3://$$bucket/config.json" --content-type application/json --cache-control no-cache && \
	  aws cloudformation describe-stacks --stack-name "$(STACK)" --query "Stacks[0].Outputs[?OutputKey=='WebUrl'].OutputValue" --output text

bench: $(STAMP)
	$(PY) -m benchmarks

openapi: $(STAMP)
	$(PY) -m backchannel_openapi > openapi.json

clean:
	rm -rf $(VENV) .local .pytest_cache .ruff_cache
