# Two commands are all a new user needs:
#   make run    the offline default workflow, end to end (installs into .venv first)
#   make test   the test suite (installs into .venv first)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: run test
run: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# torch is pinned first and on its own, so that nothing pulls a multi-GB CUDA build
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@
