# Partnership Hub. `make run` starts the app with the demo partnership; `make test` runs every test.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test test-unit test-store test-app test-browser seed seed-county bench bench-matching clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Need $(PYTHON) (Python 3.11); set PYTHON=... to another 3.11 interpreter"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/streamlit run app.py

# Two workers: one takes the SQLite tests, the other the PostgreSQL ones (tests/conftest.py groups them).
# TEST_WORKERS=0 runs everything in one process, as plain `pytest` does.
TEST_WORKERS ?= 2

test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests/unit
test-store: $(VENV)/.installed
	$(BIN)/python -m pytest tests/store
test-app: $(VENV)/.installed
	$(BIN)/python -m pytest tests/app
test-browser: $(VENV)/.installed
	$(BIN)/python -m pytest tests/browser

seed: $(VENV)/.installed
	$(BIN)/python -m core.cli seed --reset

seed-county: $(VENV)/.installed
	$(BIN)/python -m core.cli seed --reset --scale county

bench: $(VENV)/.installed
	$(BIN)/python bench/pages.py

bench-matching: $(VENV)/.installed
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/matching.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) artefacts .pytest_cache
