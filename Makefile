# One command surface for developers, CI and the README.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export ORT_DISABLE_TELEMETRY := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install system-deps run ask ingest test test-fast lint bench eval clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PY) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PY)）"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]' -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/kepu ingest

run: ingest
	$(BIN)/kepu serve

ask: ingest
	$(BIN)/kepu ask

# Debian packages the tests and benchmarks use: a headless browser with Chinese fonts, wrk, and a
# PostgreSQL server for the insights tests.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei wrk postgresql redis-server nginx

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "安装系统依赖：$$missing"; \
			apt-get install -y -q $$missing >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; \
		else echo "提示：浏览器测试和 HTTP 基准需要：sudo apt-get install$$missing"; fi; \
	fi

# Everything (what .ci/run calls); the 15 slowest tests are printed at the end so regressions show.
test: install system-deps
	$(BIN)/pytest -q --durations=15

# Day to day: the unit tests only (no model, no servers, no browser), in about a minute.
test-fast: install
	$(BIN)/pytest -q -m "unit and not integration"

lint: install
	$(BIN)/ruff check kepu tests bench
	$(BIN)/ruff format --check kepu tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache  # the layers of ARCHITECTURE.md ([tool.importlinter] in pyproject.toml)

eval: ingest
	$(BIN)/kepu eval eval/questions_plan.yaml eval/questions_science.yaml

bench: install system-deps
	$(BIN)/python bench/bench_ask.py
	$(BIN)/python bench/bench_http.py
	$(BIN)/python bench/bench_cluster.py
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_gate.py
	$(BIN)/python bench/bench_wait_policy.py
	$(BIN)/python bench/bench_hostile.py

clean:
	rm -rf $(VENV) data .pytest_cache
