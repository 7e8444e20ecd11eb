# Rempart developer entry points. `make demo` and `make test` work on a fresh Debian machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-quick text-model serve clean lock

$(STAMP): pyproject.toml requirements.lock requirements-nodeps.txt scripts/system-deps.sh
	./scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip==26.3" "setuptools==84.2.1" "wheel==0.48.0"
	$(BIN)/pip install -q -c requirements.lock -e ".[dev]"
	$(BIN)/pip install -q --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rempart demo

serve: $(STAMP)
	$(BIN)/rempart serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy src

test: $(STAMP) lint
	$(BIN)/pytest -n 2 tests

bench: $(STAMP)
	$(BIN)/python bench/bench_hashing.py
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_ledger.py
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_provenance.py
	$(BIN)/python bench/bench_text.py
	$(BIN)/python bench/bench_edits.py

bench-quick: $(STAMP)
	$(BIN)/python bench/bench_hashing.py --quick
	$(BIN)/python bench/bench_index.py --quick
	$(BIN)/python bench/bench_import.py --rows 100000
	$(BIN)/python bench/bench_ledger.py --quick
	$(BIN)/python bench/bench_classify.py --quick
	$(BIN)/python bench/bench_provenance.py
	$(BIN)/python bench/bench_text.py
	$(BIN)/python bench/bench_edits.py --quick --no-write

# Retrain the text policy on src/rempart/classify/text/data (then commit weights and metrics).
text-model: $(STAMP)
	$(BIN)/rempart text train
	$(BIN)/python bench/bench_text.py
	$(BIN)/python bench/bench_edits.py

# Re-pin every dependency to the newest versions pyproject.toml allows (then commit the lock).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q "pip==26.3" && .lock-venv/bin/pip install -q -e ".[dev]"
	(echo "# Pinned versions of every dependency (dev included); regenerate with 'make lock'."; \
	 .lock-venv/bin/pip freeze --exclude-editable | grep -v '^rempart') > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
