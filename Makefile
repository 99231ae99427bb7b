# The two commands of the README. Each sets up .venv first when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: report test lint bench clean

report: $(STAMP)  ## the main job: conformance run over every available backend, reports under reports/
	$(BIN)/cnnbench run

test: $(STAMP)  ## the test suites (parallel on all cores)
	$(BIN)/python -m pytest -n auto -q suites

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)  ## asv benchmarks against this environment
	$(BIN)/asv run --python=same --quick --show-stderr

$(STAMP): pyproject.toml constraints/cpu.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints/cpu.txt -e ".[dev]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) .asv .pytest_cache .hypothesis
