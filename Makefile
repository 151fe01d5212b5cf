# The escalation service for Amazon Connect. Two commands matter: `make demo` and `make test`.
# Everything they need (a virtualenv, Python packages, the pinned CDK CLI) is installed on first use.

# The Lambda runs Python 3.13: the venv is built with the first 3.13 that runs here (tools/find_python.sh).
ifndef PYTHON
PYTHON := $(shell sh tools/find_python.sh)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Wraps the long, sometimes silent steps: passes their output through and says when they are still running.
HEARTBEAT := $(PYTHON) tools/heartbeat.py
export PYTHONPATH := $(CURDIR)/lambdas:$(CURDIR)
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Offline and quiet: no CDK telemetry (also off in cdk.json) or notices, no jsii nag about Node 20.
export CDK_DISABLE_CLI_TELEMETRY := true
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
CONTEXT ?= -c connectInstanceId=00000000-0000-0000-0000-000000000000

.PHONY: install demo serve seed metrics test test-fast unit lint typecheck desktop chromium synth cfn-lint openapi models bench clean

install: $(STAMP) node_modules/.package-lock.json

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "no usable Python found (see tools/find_python.sh)"; exit 1; }
	@# A worktree that links another checkout's venv must not clear it through the link.
	@test ! -L $(VENV) || { echo "$(VENV) is a link to another checkout's venv: not rebuilt through it (update that checkout, or replace the link)"; exit 1; }
	@echo "==> creating $(VENV) with $$($(PYTHON) --version) ($(PYTHON))"
	$(PYTHON) -m venv --clear $(VENV)
	@echo "==> installing the pinned Python packages (about 60 packages; first run about 2 minutes)"
	$(HEARTBEAT) pip -- $(BIN)/pip install --disable-pip-version-check --progress-bar off -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@test ! -L node_modules || { echo "node_modules is a link to another checkout's: not reinstalled through it"; exit 1; }
	@echo "==> installing the pinned CDK CLI and the Escalate app's build tools (npm ci)"
	$(HEARTBEAT) npm -- npm ci --no-audit --no-fund --loglevel=error

demo: $(STAMP)  ## Run the escalation scenario on the local stack (emulated Connect + AWS) and exit
	$(BIN)/python -m local.demo

PORT ?= 3000
DESKTOP_PORT ?= $(shell expr $(PORT) + 1)
COUNT ?= 10

serve: install  ## Keep the local stack and the Escalate app running (Ctrl-C stops it; PORT=N, DESKTOP_PORT=N)
	$(BIN)/python -m local.serve --port $(PORT) --desktop-port $(DESKTOP_PORT)

desktop: install  ## Build the agent's Escalate app into desktop/dist/
	node desktop/build.mjs

# The browser tests drive Debian's Chromium: installed here when root, else one line says what to install.
chromium:
	@$(HEARTBEAT) chromium -- sh tools/ensure_chromium.sh

seed: $(STAMP)  ## Add COUNT (10) more contacts to the running `make serve`
	$(BIN)/python -m local.seed --count $(COUNT)

metrics: $(STAMP)  ## Print the running `make serve`'s metrics, as CloudWatch would count them
	$(BIN)/python -m local.metrics

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "==> tsc --noEmit (strict) on desktop/"
	node_modules/.bin/tsc -p desktop/tsconfig.json

typecheck: $(STAMP)
	@echo "==> mypy --strict on lambdas/ local/ infra/ tools/ app.py (first run about 3 minutes; the cache in .mypy_cache makes later runs fast)"
	$(HEARTBEAT) mypy -- $(BIN)/mypy lambdas local infra tools app.py

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# pytest-xdist: the suites run on this many worker processes; tests/conftest.py keeps together what shares
# a fixture (a module's local stack, the CDK synths). The whole suite waits on servers, sockets, retries'
# back-off and a browser more than it computes (on 2 workers, 2 cores stood half idle), so it runs on
# twice as many workers as cores; the unit and emulator suites only compute, one worker a core.
CORES := $(shell nproc 2>/dev/null || echo 2)
TEST_WORKERS ?= $(shell expr 2 \* $(CORES))
FAST_TEST_WORKERS ?= $(CORES)

test: install lint typecheck chromium  ## Lint, type-check and run every test suite (unit, emulator, local, integration, reliability, infra, bench smoke, browser)
	@echo "==> pytest: every suite on $(TEST_WORKERS) workers, one line per test as it completes"
	$(HEARTBEAT) pytest -- $(BIN)/pytest -v -p no:cacheprovider -n $(TEST_WORKERS)

test-fast: $(STAMP)  ## The unit and emulator suites only, for the edit loop (meant for under a minute; no lint, no type-check)
	$(HEARTBEAT) pytest -- $(BIN)/pytest -q -p no:cacheprovider -n $(FAST_TEST_WORKERS) tests/unit tests/emulator

synth: install  ## Synthesize the CloudFormation template offline (pass CONTEXT='-c connectInstanceId=...')
	@# The stack deploys the Escalate app from desktop/dist (with -c connectInstanceAlias): build it first.
	@test ! -f desktop/build.mjs || $(MAKE) --no-print-directory desktop
	npx cdk synth --quiet --no-notices $(CONTEXT)

cfn-lint: synth
	$(BIN)/cfn-lint --config-file infra/.cfnlintrc.yaml cdk.out/*.template.json

openapi: $(STAMP)  ## Write the API's OpenAPI document (generated from the Powertools resolver)
	$(BIN)/python -m tools.openapi > openapi.json

models: $(STAMP)  ## Rewrite the trimmed botocore models the function ships (after upgrading botocore)
	$(BIN)/python -m tools.service_models

bench: install  ## Run every benchmark (about 15 minutes), then the cost from their files, and rewrite the tables in docs/performance.md and docs/sla-timers.md; results land in bench/results/
	$(HEARTBEAT) bench -- $(BIN)/python -m bench.run_all --docs

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache .local-run
