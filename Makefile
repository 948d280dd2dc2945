# seglearn — every target creates .venv (Python 3.11) when it is missing; a second run is fast.
SHELL := /bin/bash
VENV ?= .venv
PY311 ?= $(shell tools/find-python 3.11)
PY312 ?= $(shell tools/find-python 3.12)
MODERN ?= .venv-modern
MODERN_STAMP := $(MODERN)/.seglearn-installed
MODERN_CHAPTER ?= 06
PYTHON := $(VENV)/bin/python
COMMA := ,
PIP := $(PYTHON) -m pip --disable-pip-version-check
STAMP := $(VENV)/.seglearn-installed
# make test and test-fast: one pytest-xdist worker per core, one OpenMP thread each
# (tests/conftest.py), work stealing so that an idle worker takes tests from a busy one.
PARALLEL ?= -n auto --dist worksteal
# make chapters: one chapter per core, one OpenMP thread each, the trainings first (run_chapters)
CHAPTER_JOBS ?= auto

.PHONY: help setup lab chapters test test-fast test-modern modern-smoke check bench gpu-check gpu-compat gpu-wheels chainer-wheel clean
help:
	@echo "make lab        start JupyterLab in chapters/ (sets up .venv first; the Japanese edition is chapters/ja/)"
	@echo "make chapters   execute every chapter headless into build/chapters/ and print a table"
	@echo "make test       the full test suite: package, exercise checker, every chapter"
	@echo "make test-fast  the unit tests only (a few minutes)"
	@echo "make test-modern  smoke run on Python 3.12 + NumPy 2 (.venv-modern; skipped without python3.12)"
	@echo "make check      grade the exercises you answered in chapters/ and in chapters/ja/ (its table in Japanese)"
	@echo "make bench      CPU benchmarks (benchmarks/RESULTS.md)"
	@echo "make gpu-check  GPU tests and benchmarks (needs CuPy and a CUDA device)"
	@echo "make gpu-compat the README's CuPy pairings imported on the CPU (no GPU needed; ~4 GB download)"
	@echo "make chainer-wheel  build .whl/chainer-7.8.1-*.whl for an offline GPU machine"
	@echo "make gpu-wheels the Chainer wheel and the notebook runner's for tools/gpu_run.sh"

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
	$(PYTHON) -m seglearn.course.run_chapters chapters build/chapters --jobs $(CHAPTER_JOBS)

test: $(STAMP)
	$(PYTHON) -m pytest tests $(PARALLEL)

test-fast: $(STAMP)
	$(PYTHON) -m pytest tests -m "not slow and not gpu" $(PARALLEL)

test-modern:
	@if [ -z "$(PY312)" ]; then echo "modern-stack smoke run skipped: no working python3.12 found (install one, e.g. pyenv install 3.12)"; \
	else $(MAKE) --no-print-directory modern-smoke; fi

modern-smoke: $(MODERN_STAMP)
	$(MODERN)/bin/python -m pytest tests -m "modern and not gpu" -p no:cacheprovider
	$(MODERN)/bin/python -m seglearn.course.run_chapters chapters build/modern --only $(MODERN_CHAPTER)

# Both editions; exits with 1 if either has an exercise that failed, timed out or crashed.
check: $(STAMP)
	@status=0; $(PYTHON) -m seglearn.course.grader chapters || status=1; \
	echo; echo "chapters/ja/ (日本語版)"; \
	SEGLEARN_LANG=ja $(PYTHON) -m seglearn.course.grader chapters/ja || status=1; exit $$status

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

# The README's two CuPy pairings, checked without a GPU: each in its own venv with pyproject's
# extra (`gpu` on Python 3.11 + NumPy < 2, `gpu-modern` on 3.12 + NumPy 2), then
# tests/test_cupy_surface.py there with seglearn's other dependencies (Chainer's GPU backend imports, every audited CuPy name
# resolves). The 3.12 pairing is skipped, saying so, where no python3.12 exists.
CUPY13 ?= .venv-cupy13
CUPY14 ?= .venv-cupy14
EXTRA = $(1)/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["$(2)"])'
gpu-compat: $(CUPY13)/.installed
	$(CUPY13)/bin/python -m pytest tests/test_cupy_surface.py -p no:cacheprovider -q -W ignore::UserWarning
	@if [ -z "$(PY312)" ]; then echo "CuPy 14 pairing skipped: no working python3.12 found"; \
	else $(MAKE) --no-print-directory $(CUPY14)/.installed && \
	$(CUPY14)/bin/python -m pytest tests/test_cupy_surface.py -p no:cacheprovider -q -W ignore::UserWarning; fi

# $(call COMPAT_VENV,venv,python,numpy requirement,extra)
define COMPAT_VENV
	@if [ ! -x $(1)/bin/python ]; then $(2) -m venv $(1); fi
	$(1)/bin/python -m pip --disable-pip-version-check install -q "setuptools>=64,<74" wheel "$(3)" pytest
	$(1)/bin/python -m pip --disable-pip-version-check install -q --no-build-isolation "chainer==7.8.1"
	$(1)/bin/python -m pip --disable-pip-version-check install -q --no-build-isolation --no-deps -e .
	$(1)/bin/python -m pip --disable-pip-version-check install -q "$(3)" $$($(1)/bin/python tools/modern_requirements.py) $$($(call EXTRA,$(1),$(4)))
	@touch $(1)/.installed
endef

$(CUPY13)/.installed: pyproject.toml
	$(call COMPAT_VENV,$(CUPY13),$(PY311),numpy>=1.24$(COMMA)<2,gpu)

$(CUPY14)/.installed: pyproject.toml
	$(call COMPAT_VENV,$(CUPY14),$(PY312),numpy>=2,gpu-modern)

chainer-wheel: $(STAMP)
	$(PIP) wheel -q --no-deps --no-build-isolation -w .whl "chainer==7.8.1"

# What tools/gpu_run.sh installs on an offline GPU machine with CPython 3.12 (it skips those the
# machine already has): the Chainer wheel and the headless notebook runner with its needs.
gpu-wheels: chainer-wheel
	$(PIP) download -q --only-binary=:all: --python-version 3.12 --implementation cp \
	  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
	  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
	  -d .whl/notebook nbclient nbformat ipykernel jupyter_client

clean:
	rm -rf build .pytest_cache
