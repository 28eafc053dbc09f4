# make run: the main job (the clinic application with a seeded demo clinic)
# make test: the whole test suite; both install everything first.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT := out

.PHONY: install run demo test test-postgres eval bench lint typecheck screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml package-lock.json scripts/install-system-packages
	scripts/install-system-packages
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

run: install
	$(VENV)/bin/dermadelta start

demo: install
	$(VENV)/bin/dermadelta demo --out $(OUT)

test: install
	$(VENV)/bin/pytest -q -n 2 -m "not slow"

# The same suite on a throwaway PostgreSQL server (the database of a multi-user clinic).
test-postgres: install
	scripts/with-postgres $(VENV)/bin/pytest -q -n 2 -m "not slow"

eval: install
	$(VENV)/bin/python -m tools.evaluation --out docs/MEASUREMENT.md
	$(VENV)/bin/python -m tools.identity_evaluation --out docs/IDENTITY.md

bench: install
	$(PY) -m benchmarks.benchmark --out docs/PERFORMANCE.md
	mkdir -p $(OUT)/bench
	$(PY) -m benchmarks.loadbench --json $(OUT)/bench/load-1-sqlite.json
	scripts/with-postgres $(PY) -m benchmarks.loadbench --json $(OUT)/bench/load-2-postgresql.json
	$(PY) -m benchmarks.batch_benchmark --photo-folder $(OUT)/bench/batch-photos --json $(OUT)/bench/batch.json
	$(PY) -m tools.api_fuzz --json $(OUT)/bench/api-fuzz.json
	$(PY) -m tools.decode_fuzz --inputs 10000 --json $(OUT)/bench/decode-fuzz.json
	$(PY) -m benchmarks.uploadbench --json $(OUT)/bench/upload-48mp.json
	$(PY) -m benchmarks.benchreport $(OUT)/bench docs/PERFORMANCE.md

screenshots: install
	$(PY) scripts/screenshots.py docs/screenshots

lint: install
	$(VENV)/bin/ruff check src tests benchmarks tools

typecheck: install
	$(VENV)/bin/mypy

clean:
	rm -rf $(OUT) .pytest_cache
