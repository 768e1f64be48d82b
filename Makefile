# mes — the two commands: `make run` (local stack) and `make test` (all tests). `make bench` prints figures.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint install clean openapi

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

openapi: $(STAMP)
	$(BIN)/python -m mes_local.openapi > openapi.json

clean:
	rm -rf $(VENV) .pytest_cache
