# mes — the two commands: `make run` (local stack) and `make test` (all tests). `make bench` prints figures.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench health lint install clean openapi checkov checkov-venv deploy-check web web-test node chromium

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "pip<26.3"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock "setuptools>=68"
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP) web
	$(BIN)/python -m mes_local.stack

test: $(STAMP)
	$(BIN)/ruff check layers functions infra tests
	PYTHONPATH=functions/api $(BIN)/lint-imports
	$(BIN)/mypy
	bash infra/run_tests.sh

bench: $(STAMP)
	$(BIN)/python -m mes_local.bench

# The README's "Code health" figures (radon grades and maintainability, long functions, mypy,
# import contracts, private cross-module imports, view length), one `health.*: value` line each.
health: $(STAMP)
	$(BIN)/python infra/code_health.py

# checkov conflicts with the project's pins: it gets its own venv. Prints checkov.failed_unjustified
# (failed checks + skips without a written reason) and fails when it is not 0.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-3.3.30
$(CHECKOV_STAMP): requirements-checkov.lock
	test -x $(CHECKOV_VENV)/bin/python || $(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-checkov.lock
	touch $(CHECKOV_STAMP)

checkov-venv: $(CHECKOV_STAMP)

checkov: $(CHECKOV_STAMP)
	$(PY) infra/checkov_check.py --checkov $(CHECKOV_VENV)/bin/checkov

openapi: $(STAMP)
	$(BIN)/python -m mes_local.openapi > openapi.json

# What deploys is what was tested (docs/deploy.md): lint the template, build every Lambda package
# without a container (wheels for python3.11 arm64, requirements.lock as constraints), then check the
# build against the lock, import every handler with its package and a twin of the layer built for
# this machine, and print the package sizes. The SAM CLI has its own venv and lock
# (requirements-sam.lock: it pins its own boto3); AWS_DEFAULT_REGION only feeds the offline lint.
SAM_VERSION := 1.170.0
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_VERSION)
SAM_ENV := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-3}
BUILD_DIR := .aws-sam/build
HOST_LAYER := .aws-sam/host-layer

$(SAM_STAMP): requirements-sam.lock
	test -x $(SAM_VENV)/bin/python || $(PY) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-sam.lock
	$(SAM_VENV)/bin/sam --version | grep -qx "SAM CLI, version $(SAM_VERSION)"
	touch $(SAM_STAMP)

deploy-check: $(STAMP) $(SAM_STAMP)
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint
	rm -rf $(BUILD_DIR)
	$(SAM_ENV) MES_BUILD_PYTHON=$(abspath $(BIN)/python) $(SAM_VENV)/bin/sam build --build-dir $(BUILD_DIR)
	rm -rf $(HOST_LAYER)
	MES_BUILD_PYTHON=$(abspath $(BIN)/python) MES_BUILD_ARCH=$$(uname -m) ARTIFACTS_DIR=$(abspath $(HOST_LAYER)) \
	  $(MAKE) -s -f layers/core/Makefile build-CoreLayer
	$(BIN)/python -m mes_local.deploy_check $(BUILD_DIR) --import-with $(HOST_LAYER)/python

# The holder web app (web/, WEB.md): Node and npm from the machine (or Debian's packages), the npm
# packages from web/package-lock.json, the build in web/dist (served by `make run` on :8080), and the
# browser suite in Debian's Chromium (no browser download: none is reachable from here).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
WEB_STAMP := web/node_modules/.installed
WEB_SOURCES := $(shell find web/src web/public -type f -not -path 'web/public/dsfr/*' -not -name schema.d.ts 2>/dev/null) \
	web/index.html web/vite.config.ts web/tsconfig.json web/package.json

node:
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(APT_INSTALL) nodejs npm; }

# chromium-l10n: the French locale, so that a date field reads jj/mm/aaaa as on a French holder's browser.
chromium:
	@test -x /usr/bin/chromium && test -f /usr/lib/chromium/locales/fr.pak || \
	  { $(SUDO) apt-get update -qq && $(APT_INSTALL) chromium chromium-l10n; }

$(WEB_STAMP): web/package.json web/package-lock.json
	@$(MAKE) -s node
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

web/dist/index.html: $(WEB_STAMP) openapi.json $(WEB_SOURCES)
	cd web && npm run -s build

web: web/dist/index.html

# Vitest (components, jsdom), then Playwright against the real local stack on ports of its own.
web-test: $(STAMP) web chromium
	cd web && npx vitest run
	cd web && rm -rf test-results screenshots && npx playwright test

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(SAM_VENV) .aws-sam .pytest_cache web/node_modules web/dist
