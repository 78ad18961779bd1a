# Two entry points for a fresh machine with only Python 3.11:
#   make demo   set up, then answer a question about the shipped sample coverage
#   make test   set up, then run the test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
QUESTION ?= Who did Shoigu meet in Beijing?

.PHONY: install demo test lint bench eval clean

$(BIN)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch, pinned: an unpinned torch pulls gigabytes of CUDA packages.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/newsdesk ask "$(QUESTION)"

test: install
	$(BIN)/python -m pytest -q
	PYTHON=$(PYTHON) bash tests/install/check.sh

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) *.egg-info
