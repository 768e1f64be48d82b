# mes — the two commands: `make run` (local stack) and `make test` (all tests). `make bench` prints figures.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint install clean openapi checkov

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "pip<26.3"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock "setuptools>=68"
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m mes_local.stack

test: $(STAMP)
	$(BIN)/ruff check layers functions infra tests
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m mes_local.bench

# checkov conflicts with the project's pins: it gets its own venv. Prints checkov.failed_unjustified
# (failed checks + skips without a written reason) and fails when it is not 0.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-3.3.30
$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --disable-pip-version-check "checkov==3.3.30"
	touch $(CHECKOV_STAMP)

checkov: $(CHECKOV_STAMP)
	$(PY) infra/checkov_check.py --checkov $(CHECKOV_VENV)/bin/checkov

openapi: $(STAMP)
	$(BIN)/python -m mes_local.openapi > openapi.json

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache
