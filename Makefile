# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test setup demo

VENV := .venv/bin

setup:
	bin/setup

## Set up, migrate the embedded SQLite database, load the demo cycle, print links, serve.
run: setup
	$(VENV)/healthcheck db upgrade
	$(VENV)/healthcheck demo
	$(VENV)/healthcheck serve

## Every test: unit, integration (SQLite, and PostgreSQL when HEALTHCHECK_TEST_DATABASE_URL
## is set), and browser tests in Debian's Chromium.
test: setup
	bin/test-deps
	$(VENV)/pytest $(PYTEST_ARGS)

## Benchmarks (figures written to docs/performance.md).
.PHONY: bench bench-http bench-tables bench-benchmarks bench-import bench-interference
bench: bench-tables bench-benchmarks bench-import bench-http bench-interference
bench-tables: setup
	$(VENV)/python bench/tables.py
bench-benchmarks: setup
	$(VENV)/python bench/benchmarks.py
bench-import: setup
	$(VENV)/python bench/import_returns.py
bench-http: setup
	$(VENV)/python bench/http_load.py
bench-interference: setup
	$(VENV)/python bench/build_interference.py
