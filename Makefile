# Two commands are all a new user needs:
#   make run    the offline default workflow, end to end (installs into .venv first)
#   make test   lint, then the whole test suite (installs into .venv first)
# For quick feedback: make test-fast (no workflow runs, about a minute), make lint.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: run test test-fast lint
run: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default

test: lint
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not workflow"

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check workflow

# torch is pinned first and on its own, so that nothing pulls a multi-GB CUDA build
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@
