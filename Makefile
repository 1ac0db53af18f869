# The two README commands are `make synth` and `make test`; both set up everything they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANIFEST ?= examples/rooms.yaml
BASELINE ?= examples/baseline.yaml
PHASES_MANIFEST := examples/phases.yaml
# `make synth ROOM=<name>`: that one room as DataRoomStack (docs/fleet.md).
ROOM ?=
# `make local LOCAL_FLAGS='--change v2.yaml --keep-server'` (scripts/local_tryout.py --help).
LOCAL_FLAGS ?=
# The pinned Node.js 22 and cdk CLI from package.json come first: jsii and the CLI both use them.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: setup synth test lint bench local clean scan

$(VENV)/.installed: pyproject.toml
	@echo "setup: creating $(VENV) and installing the Python packages (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@echo "setup: installing the pinned cdk CLI and Node.js 22 into node_modules"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

synth: setup
	@$(PY) -m dataroom.cli validate $(MANIFEST)
	@rm -rf cdk.out
	cdk synth --quiet --no-notices -c manifest=$(MANIFEST) -c baseline=$(BASELINE) $(if $(ROOM),-c room=$(ROOM))
	@$(PY) -m dataroom.cli summary cdk.out --manifest $(MANIFEST)
	@$(if $(ROOM),echo "review: not written for ROOM=$(ROOM) (the review covers every room of $(MANIFEST)); make synth without ROOM writes it",$(PY) -m dataroom.cli review --assembly cdk.out --manifest $(MANIFEST) --baseline $(BASELINE) --out review)
	@# The example's production phases A and B (PHS-1, PHS-2) go through the same gate and review.
	@if [ -z "$(ROOM)" ] && [ "$(MANIFEST)" = "examples/rooms.yaml" ]; then \
	  $(PY) -m dataroom.cli validate $(PHASES_MANIFEST) && rm -rf cdk.out.phases && \
	  cdk synth --quiet --no-notices -c manifest=$(PHASES_MANIFEST) -c baseline=$(BASELINE) -o cdk.out.phases && \
	  $(PY) -m dataroom.cli review --assembly cdk.out.phases --manifest $(PHASES_MANIFEST) --baseline $(BASELINE) --out review/phases; \
	fi

test: setup
	$(PY) -m pytest

# Local try-out: the real cdk CLI deploys the rooms into a moto server on 127.0.0.1, then audits.
local: setup
	$(PY) scripts/local_tryout.py --manifest $(MANIFEST) --baseline $(BASELINE) $(LOCAL_FLAGS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# checkov (own virtualenv) and cfn-lint over a fresh `cdk synth`; unlisted findings fail.
scan: setup
	bash scripts/scan.sh

bench: setup
	$(PY) bench/validate.py
	$(PY) bench/synth.py
	$(PY) bench/suite.py

clean:
	rm -rf cdk.out $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
