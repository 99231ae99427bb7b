# The two commands of the README. Each sets up .venv first when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency of the CPU test environment, exact versions with hashes: make, tox and CI install this.
LOCK := constraints/cpu-lock.txt
LOCK_VENV := .venv-lock
LATEST_VENV := .venv-latest
SUITES ?= suites

.PHONY: report test lint bench dashboard lock latest clean

report: $(STAMP)  ## the main job: conformance run over every available backend, in a new reports/runs/<time>/
	$(BIN)/cnnbench run

test: $(STAMP)  ## the test suites (parallel on all cores); SUITES=suites/reference for one
	$(BIN)/python -m pytest -n auto -q $(SUITES)

lint: $(STAMP)
	$(BIN)/ruff check .

# asv refuses to run until it knows the machine: record it once (defaults, no questions asked).
# --quick: one sample of each, at BENCH_SIZE (small): a check that every benchmark runs. The results
# are saved under the checkout's commit (asv saves --python=same runs only with a hash), for make dashboard.
BENCH_SIZE ?= small
bench: $(STAMP)  ## asv benchmarks against this environment, once each (BENCH_SIZE=standard for the real shapes)
	$(BIN)/asv machine --yes
	CNNBENCH_SIZE=$(BENCH_SIZE) $(BIN)/asv run --python=same --quick --show-stderr --set-commit-hash $$(git rev-parse HEAD)

# asv's index.html loads its JavaScript and CSS from CDNs: point it at benchmarks/dashboard/vendor/.
dashboard: $(STAMP)  ## asv publish into .asv/html, rendering with no network (serve it: asv preview)
	$(BIN)/python -m benchmarks.dashboard.publish

# The lock first, hash-checked; then the project itself, which is local and so carries no hash.
# --no-index: every requirement of .[dev] must already be met by the lock, so a stale lock fails
# here rather than drifting; --no-build-isolation: the build uses the locked setuptools.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-index --no-build-isolation -e ".[dev]" \
	    || { echo "$(LOCK) does not meet pyproject.toml: run make lock"; exit 1; }
	touch $(STAMP)

define LOCK_HEADER
# Lock of the CPU test environment (make, tox, .ci/run): every dependency of cnnbench[dev]
# with its exact version and sha256 hashes. Resolved for linux x86_64, CPython 3.11: the
# pins carry no markers, so another platform or Python needs its own lock.
# torch is the CPU build 2.13.0+cpu that pip finds in /opt/wheels on this kind of machine
# (its hash is that file's; PyPI's torch 2.13.0 is a CUDA build).
# Install: pip install --require-hashes -r constraints/cpu-lock.txt
#          pip install --no-index --no-build-isolation -e ".[dev]"   (the project, no hash)
# Regenerate: make lock (keeps the pins that still fit pyproject.toml);
#             make lock LOCK_ARGS=--upgrade (the newest versions pyproject.toml allows).
endef
export LOCK_HEADER

# pip-tools in a venv of its own, so the tool and its dependencies stay out of the locked environment.
# The project is marked unsafe so that its own `dev` extra (cnnbench[...]) is left out of the lock;
# pip-compile's warning about that is dropped, and the header above put on top.
lock:  ## re-resolve constraints/cpu-lock.txt on this kind of machine
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet pip-tools==7.6.2
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
	    --strip-extras --no-emit-index-url --find-links /opt/wheels \
	    --extra dev --unsafe-package cnnbench --constraint constraints/cpu.txt $(LOCK_ARGS) \
	    --output-file $(LOCK) pyproject.toml constraints/cpu-lock.in
	{ echo "$$LOCK_HEADER"; sed '/^# WARNING: The following packages were not pinned/,$$d' $(LOCK) | sed '$${/^$$/d}'; } \
	    > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)

# Drift check: the newest versions pyproject.toml allows (torch still the CPU build through
# constraints/cpu.txt, since an open range pulls a CUDA build), then the test suites, to see
# what a user installing today gets before they do. Lists the versions that differ from the lock.
latest:  ## the test suites in .venv-latest, with the newest allowed dependencies
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager \
	    -c constraints/cpu.txt -e ".[dev]"
	@echo "versions in $(LATEST_VENV) that differ from $(LOCK):"
	@sed -n 's/^\([a-z0-9.-]*==[^ ]*\).*/\1/p' $(LOCK) > $(LATEST_VENV)/locked.txt
	@$(LATEST_VENV)/bin/python -m pip freeze --all --exclude-editable | tr A-Z_ a-z- \
	    | grep -vxFf $(LATEST_VENV)/locked.txt | sed 's/^/  /' | grep . || echo "  none"
	$(LATEST_VENV)/bin/python -m pytest -n auto -q $(SUITES)

clean:
	rm -rf $(VENV) $(LATEST_VENV) $(LOCK_VENV) .asv .pytest_cache .hypothesis
