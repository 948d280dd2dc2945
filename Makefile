# seglearn — every target creates .venv (Python 3.11) when it is missing; a second run is fast.
SHELL := /bin/bash
VENV ?= .venv
PY311 ?= $(shell command -v python3.11 2>/dev/null || ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.11.*/bin/python3.11 2>/dev/null | tail -n 1)
PYTHON := $(VENV)/bin/python
PIP := $(PYTHON) -m pip --disable-pip-version-check
STAMP := $(VENV)/.seglearn-installed

.PHONY: help setup lab chapters test test-fast check bench gpu-check clean
help:
	@echo "make lab        start JupyterLab in chapters/ (sets up .venv first)"
	@echo "make chapters   execute every chapter headless into build/chapters/ and print a table"
	@echo "make test       the full test suite: package, exercise checker, every chapter"
	@echo "make test-fast  the unit tests only (a few minutes)"
	@echo "make check      grade the exercises you answered in chapters/"
	@echo "make bench      CPU benchmarks (benchmarks/RESULTS.md)"
	@echo "make gpu-check  GPU tests and benchmarks (needs CuPy and a CUDA device)"

setup: $(STAMP)

# Chainer 7.8.1 is an sdist whose setup.py imports pkg_resources: build it without build
# isolation after installing setuptools<74 and wheel into the venv.
$(STAMP): pyproject.toml
	@if [ ! -x $(PYTHON) ]; then \
	  if [ -z "$(PY311)" ]; then echo "error: python3.11 not found (install it, or run: make PY311=/path/to/python3.11)"; exit 1; fi; \
	  echo "creating $(VENV) with $(PY311)"; $(PY311) -m venv $(VENV); fi
	$(PIP) install -q "setuptools>=64,<74" wheel "numpy>=1.24,<2"
	$(PIP) install -q --no-build-isolation "chainer==7.8.1"
	$(PIP) install -q --no-build-isolation -e ".[dev]"
	@touch $@

lab: $(STAMP)
	cd chapters && ../$(VENV)/bin/jupyter lab

chapters: $(STAMP)
	$(PYTHON) -m seglearn.exercises.run_chapters chapters build/chapters

test: $(STAMP)
	$(PYTHON) -m pytest tests

test-fast: $(STAMP)
	$(PYTHON) -m pytest tests -m "not slow and not gpu"

check: $(STAMP)
	$(PYTHON) -m pytest tests/test_answers.py --answers chapters -q

bench: $(STAMP)
	$(PYTHON) benchmarks/run.py

gpu-check: $(STAMP)
	$(PYTHON) -m pytest tests -m gpu
	$(PYTHON) benchmarks/run.py --gpu

clean:
	rm -rf build .pytest_cache
