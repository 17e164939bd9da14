# foto — `make help` lists the targets. The quick start is `make run` then `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= var
INBOX ?= data/sample/inbox
SAMPLE_SEED := 20261127
SAMPLE_PERSONS := 4000
EVAL_LARGE_DIR ?= $(HOME_DIR)/eval-large

.DEFAULT_GOAL := help
.PHONY: help setup run test lint dev train eval eval-large bench robust sample clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(BIN)/foto: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(BIN)/foto

setup: $(BIN)/foto ## create .venv and install the project into it

run: $(BIN)/foto ## run the nightly job on the bundled sample into var/
	$(BIN)/foto run --inbox $(INBOX) --home $(HOME_DIR)

test: $(BIN)/foto ## run the test suite
	$(BIN)/python -m pytest

.PHONY: test-fast
test-fast: $(BIN)/foto ## the fast suite: every test but the full runs (-m "not e2e"), in parallel
	$(BIN)/python -m pytest -m "not e2e" -n auto

lint: $(BIN)/foto ## ruff, then the layer contracts (import-linter, pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

dev: $(BIN)/foto ## open the Dagster UI on the same home (http://127.0.0.1:3000)
	umask 077 && $(BIN)/python -c 'import sys; from pathlib import Path; \
		from pipelines.instance import prepare_dagster_home; prepare_dagster_home(Path(sys.argv[1]))' $(HOME_DIR)
	umask 077 && DAGSTER_HOME=$(abspath $(HOME_DIR))/dagster FOTO_HOME=$(HOME_DIR) FOTO_INBOX=$(INBOX) \
		$(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

train: $(BIN)/foto ## train a new model version on the sample into var/models/
	$(BIN)/foto train --inbox $(INBOX) --home $(HOME_DIR)

eval: $(BIN)/foto ## quality at 10,000 and 100,000 persons: foto next to a plain Splink baseline; a simulated reviewer on the review queue
	$(BIN)/python benchmarks/eval.py --persons 10000 100000 --seed 7 --reviewer 100 300 1000

eval-large: $(BIN)/foto ## quality at 1,000,000 persons (long: 20-40 min, about 10 GB at its peak): foto alone, no baseline; then the missed true pairs by cause
	rm -rf $(EVAL_LARGE_DIR)
	$(BIN)/python benchmarks/eval.py --persons 1000000 --seed 7 --no-baseline --keep $(EVAL_LARGE_DIR)
	$(BIN)/python benchmarks/missed_pairs.py $(EVAL_LARGE_DIR)/1000000

bench: $(BIN)/foto ## time and memory: one region (foto run against plain Splink, per stage, 1M persons), foto train against the nightly matching (1M), each source's reader, whole runs, matching stages, profile and sheets (100k, 1M); the matching step on DuckDB, Spark local (100k, 1M) and chunked DuckDB (2M); an arrest's and a judgement's way to publication; foto serve's sheets
	$(BIN)/python benchmarks/bench_region.py --persons 1000000
	$(BIN)/python benchmarks/bench_train.py --persons 1000000
	$(BIN)/python benchmarks/bench_readers.py --persons 100000
	$(BIN)/python benchmarks/bench_readers.py --persons 1000000
	$(BIN)/python benchmarks/bench_run.py --persons 100000
	$(BIN)/python benchmarks/bench_matching.py --records 100000 1000000
	$(BIN)/python benchmarks/bench_matching.py --spark --persons 100000 --engines duckdb spark chunked --chunks 4 1 --spark-driver-memory 4g --spark-partitions 8
	$(BIN)/python benchmarks/bench_matching.py --spark --persons 1000000 --engines duckdb chunked spark --chunks 4 1 --spark-driver-memory 4g --spark-partitions 16
	$(BIN)/python benchmarks/bench_matching.py --spark --persons 2000000 --engines chunked --chunks 4 1
	$(BIN)/python benchmarks/bench_profile.py --records 100000 1000000
	$(BIN)/python benchmarks/bench_arrest.py --records 10000 100000 1000000 --daemon --worker
	$(BIN)/python benchmarks/bench_judgement.py --records 10000 100000
	$(BIN)/python benchmarks/bench_serve.py --persons 100000

robust: $(BIN)/foto ## quality on deliveries unlike the training data (typos, no BSN, dates)
	$(BIN)/python benchmarks/robustness.py --persons 10000 --seed 29

sample: $(BIN)/foto ## regenerate the committed sample (seeded, reproducible)
	rm -rf data/sample/inbox data/sample/truth.parquet
	$(BIN)/python data/sample/generate.py --persons $(SAMPLE_PERSONS) --seed $(SAMPLE_SEED) --out data/sample

clean: ## remove var/ (runs, publications, the Dagster instance)
	rm -rf $(HOME_DIR)
