# seglearn — every target creates .venv (Python 3.11) when it is missing; a second run is fast.
SHELL := /bin/bash
VENV ?= .venv
PY311 ?= $(shell tools/find-python 3.11)
PY312 ?= $(shell tools/find-python 3.12)
MODERN ?= .venv-modern
MODERN_STAMP := $(MODERN)/.seglearn-installed
MODERN_CHAPTER ?= 06
PYTHON := $(VENV)/bin/python
PIP := $(PYTHON) -m pip --disable-pip-version-check
STAMP := $(VENV)/.seglearn-installed

.PHONY: help setup lab chapters test test-fast test-modern modern-smoke check bench gpu-check chainer-wheel clean
help:
	@echo "make lab        start JupyterLab in chapters/ (sets up .venv first)"
	@echo "make chapters   execute every chapter headless into build/chapters/ and print a table"
	@echo "make test       the full test suite: package, exercise checker, every chapter"
	@echo "make test-fast  the unit tests only (a few minutes)"
	@echo "make test-modern  smoke run on Python 3.12 + NumPy 2 (.venv-modern; skipped without python3.12)"
	@echo "make check      grade the exercises you answered in chapters/"
	@echo "make bench      CPU benchmarks (benchmarks/RESULTS.md)"
	@echo "make gpu-check  GPU tests and benchmarks (needs CuPy and a CUDA device)"
	@echo "make chainer-wheel  build .whl/chainer-7.8.1-*.whl for an offline GPU machine"

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

# The modern stack: Python 3.12+, NumPy 2, Chainer 7.8.1 through seglearn._compat.
$(MODERN_STAMP): pyproject.toml
	@if [ ! -x $(MODERN)/bin/python ]; then echo "creating $(MODERN) with $(PY312)"; $(PY312) -m venv $(MODERN); fi
	$(MODERN)/bin/python -m pip --disable-pip-version-check install -q "setuptools>=64,<74" wheel "numpy>=2"
	$(MODERN)/bin/python -m pip --disable-pip-version-check install -q --no-build-isolation "chainer==7.8.1"
	$(MODERN)/bin/python -m pip --disable-pip-version-check install -q --no-build-isolation --no-deps -e .
	$(MODERN)/bin/python -m pip --disable-pip-version-check install -q $$($(MODERN)/bin/python tools/modern_requirements.py)
	@touch $@

lab: $(STAMP)
	cd chapters && ../$(VENV)/bin/jupyter lab

chapters: $(STAMP)
	$(PYTHON) -m seglearn.course.run_chapters chapters build/chapters

test: $(STAMP)
	$(PYTHON) -m pytest tests

test-fast: $(STAMP)
	$(PYTHON) -m pytest tests -m "not slow and not gpu"

test-modern:
	@if [ -z "$(PY312)" ]; then echo "modern-stack smoke run skipped: no working python3.12 found (install one, e.g. pyenv install 3.12)"; \
	else $(MAKE) --no-print-directory modern-smoke; fi

modern-smoke: $(MODERN_STAMP)
	$(MODERN)/bin/python -m pytest tests -m "modern and not gpu" -p no:cacheprovider
	$(MODERN)/bin/python -m seglearn.course.run_chapters chapters build/modern --only $(MODERN_CHAPTER)

check: $(STAMP)
	$(PYTHON) -m seglearn.course.grader chapters

bench: $(STAMP)
	$(PYTHON) benchmarks/run.py

# On a GPU machine with its own Python, NumPy and CuPy and no internet, run instead:
#   make gpu-check GPU_PYTHON=python3 CHAINER_WHEEL=.whl/chainer-7.8.1-py3-none-any.whl
# (the wheel built elsewhere with `make chainer-wheel`); nothing is downloaded then.
ifdef GPU_PYTHON
gpu-check:
	$(GPU_PYTHON) -c 'import chainer' 2>/dev/null || $(GPU_PYTHON) -m pip install -q --no-deps --no-index $(CHAINER_WHEEL)
	PYTHONPATH=$(CURDIR) $(GPU_PYTHON) -m pytest tests -m gpu -p no:cacheprovider
	PYTHONPATH=$(CURDIR) $(GPU_PYTHON) benchmarks/run.py --gpu
else
gpu-check: $(STAMP)
	$(PYTHON) -m pytest tests -m gpu
	$(PYTHON) benchmarks/run.py --gpu
endif

chainer-wheel: $(STAMP)
	$(PIP) wheel -q --no-deps --no-build-isolation -w .whl "chainer==7.8.1"

clean:
	rm -rf build .pytest_cache
