# The LICNN reproducibility report: environment, data, notebooks, book and tests.
#
#   make book    set up .venv, fetch the data, run every notebook, build the HTML
#   make test    set up .venv, fetch the data, lint, type check, unit tests, notebooks (nbval),
#                browser test
#
# `make help` lists every target. Variables: PYTHON (the interpreter that creates .venv),
# LICNN_DATA_MIRROR (a local copy of the datasets; ../shared/datasets when it exists),
# NB (the notebook for `make section`), PROFILE (`make book PROFILE=seed`: the parameters of
# book/params-seed.yml into book-seed/), DEVICE (`make book DEVICE=cuda`: the device parameter of
# every notebook that has one).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory
# The test stages and the pipeline steps run in the order given, never side by side.
.NOTPARALLEL:

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.stamp

DATASETS := imagenet-val-1300 imagenet-samples-1000 pascal-s imagenet-val-annotations imagenet-a-index
LICNN_DATA_MIRROR ?= $(if $(wildcard ../shared/datasets),$(abspath ../shared/datasets))
MIRROR_ARG := $(if $(LICNN_DATA_MIRROR),--mirror $(LICNN_DATA_MIRROR))

BOOK_ARGS := $(if $(PROFILE),--profile $(PROFILE)) $(if $(DEVICE),--device $(DEVICE))

CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

NBVAL_FLAGS := --nbval --nbval-current-env --nbval-sanitize-with .nbval-sanitize.cfg
# Kernels started by nbval: no progress bars, fixed hashing, and OpenMP threads that sleep
# instead of spinning while the test process and the kernel share the cores.
KERNEL_ENV := TQDM_DISABLE=1 PYTHONHASHSEED=0 OMP_WAIT_POLICY=PASSIVE

.PHONY: help venv data notebooks book section html prose test test-unit test-notebooks \
        test-browser browser lint typecheck lock clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

# --- environment ------------------------------------------------------------------------

# .venv is rebuilt from the lock whenever the lock or pyproject.toml is newer than the stamp.
$(STAMP): $(LOCK) pyproject.toml
	@if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
	  command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found (set PYTHON=...)"; exit 1; }; \
	  echo "creating $(VENV) with $(PYTHON)"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	@# OpenCV distributions (Quantus needs the plain one, licnn the contrib build for
	@# cv2.saliency) write the same cv2 package: the contrib one goes last.
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall \
	  $$(grep -E '^opencv-contrib-python-headless==' $(LOCK) | cut -d' ' -f1)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	@touch $@

venv: $(STAMP) ## create or update .venv from the lock file

data: $(STAMP) ## fetch the datasets the notebooks use (from LICNN_DATA_MIRROR when set)
	$(BIN)/licnn data fetch --quiet $(DATASETS) $(MIRROR_ARG)

# --- the book ---------------------------------------------------------------------------

book: data ## run every notebook (small run and book run) and build the HTML; PROFILE=seed, DEVICE=cuda
	$(BIN)/python scripts/build_book.py $(BOOK_ARGS)

section: data ## re-run one notebook into book/ and rebuild the HTML: make section NB=02_implementation
	@test -n "$(NB)" || { echo "usage: make section NB=NN_name"; exit 2; }
	$(BIN)/python scripts/build_book.py $(BOOK_ARGS) $(NB)

notebooks: $(STAMP) ## pair notebooks/*.py to .ipynb and refresh their small-run outputs (no book run)
	$(BIN)/python scripts/build_book.py --small-only

prose: $(STAMP) ## copy edited markdown into the executed copies in book/ (runs nothing)
	$(BIN)/python scripts/build_book.py --prose

html: $(STAMP) ## build the HTML from the executed notebooks in book/ (runs nothing)
	$(BIN)/jupyter-book build -W --keep-going book/

# --- checks -----------------------------------------------------------------------------

lint: $(STAMP) ## ruff
	$(BIN)/ruff check .

typecheck: $(STAMP) ## mypy on src/licnn (settings in pyproject.toml)
	$(BIN)/mypy

test: lint typecheck test-unit test-notebooks test-browser ## everything below, in order

test-unit: data ## unit and integration tests, book-pipeline checks (not the browser test)
	$(BIN)/pytest tests/

test-notebooks: data ## run notebooks/*.ipynb with their small defaults and compare outputs (nbval)
	$(KERNEL_ENV) $(BIN)/pytest $(NBVAL_FLAGS) notebooks/

test-browser: $(STAMP) browser ## build the HTML afresh and open every page in headless Chromium
	$(BIN)/jupyter-book build -W --keep-going --all book/
	LICNN_BOOK_HTML=book/_build/html $(BIN)/pytest -m browser tests/test_browser.py

browser: ## install Chromium and its WebDriver with apt when missing
	@if [ ! -x $(CHROMIUM) ] || [ ! -x $(CHROMEDRIVER) ]; then \
	  echo "installing chromium and chromium-driver with apt-get"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium chromium-driver >/dev/null; \
	fi

# --- maintenance ------------------------------------------------------------------------

lock: ## regenerate requirements.lock from .venv (scripts/lock.sh --fresh for a clean resolve)
	scripts/lock.sh

clean: ## remove built HTML and caches (keeps .venv, data and executed notebooks)
	rm -rf book/_build _build .pytest_cache .ruff_cache .mypy_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
