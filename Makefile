# One command surface for developers, CI and the README.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export ORT_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install run ingest test lint bench eval clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PY)）"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/kepu ingest

run: ingest
	$(BIN)/kepu ask

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check bot ingest tests bench
	$(BIN)/ruff format --check bot ingest tests bench
	$(BIN)/mypy

eval: ingest
	$(BIN)/kepu eval eval/questions_plan.yaml eval/questions_science.yaml

bench: install
	$(BIN)/python bench/bench_ask.py

clean:
	rm -rf $(VENV) data .pytest_cache
