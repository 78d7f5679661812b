# The two commands a newcomer needs: `make run` and `make test`.
.PHONY: run test test-fast lint setup

VENV := .venv/bin

setup:
	bin/setup

## Set up, migrate the embedded SQLite database, load the demo cycle, print links, and serve
## with a worker beside the server (for the jobs the site queues).
## On another port: make run PORT=5050
## An existing demo database is kept (returns typed into it stay); make run RESET=1 starts afresh.
PORT ?= 5000
run: setup
	@if [ -n "$(RESET)" ]; then echo "==> RESET: removing the demo database, queue and editions in instance/"; \
	  rm -rf instance/healthcheck.sqlite* instance/queue.sqlite* instance/editions; fi
	$(VENV)/healthcheck db upgrade
	BASE_URL=$${BASE_URL:-http://127.0.0.1:$(PORT)} $(VENV)/healthcheck demo
	BASE_URL=$${BASE_URL:-http://127.0.0.1:$(PORT)} $(VENV)/healthcheck serve --port $(PORT)

## Lint, types and import contracts, then every test: unit, integration (SQLite, and PostgreSQL
## and Redis when HEALTHCHECK_TEST_DATABASE_URL and HEALTHCHECK_TEST_REDIS_URL are set), browser
## tests in Debian's Chromium, and real worker processes. One test process per core (at most 4),
## each taking whole files, the slowest first; the 15 slowest tests are listed at the end.
PARALLEL := -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder
test: setup lint
	bin/test-deps
	$(VENV)/pytest $(PARALLEL) --durations=15 $(PYTEST_ARGS)

## A quick loop while working, not a substitute for `make test`: SQLite only, no browser, no
## fault or fuzz runs, in parallel.
test-fast: setup
	HEALTHCHECK_TEST_DATABASE_URL= HEALTHCHECK_TEST_REDIS_URL= $(VENV)/pytest $(PARALLEL) -m "not browser and not slow" \
	  --durations=10 $(PYTEST_ARGS)

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports

## Benchmarks (figures written to docs/performance.md).
.PHONY: bench bench-http bench-tables bench-benchmarks bench-import bench-publish bench-survey bench-staff-scores \
	bench-staff-reports
bench: bench-tables bench-benchmarks bench-import bench-publish bench-http bench-survey bench-staff-scores \
	bench-staff-reports
bench-tables: setup
	$(VENV)/python bench/tables.py
bench-benchmarks: setup
	$(VENV)/python bench/benchmarks.py
bench-import: setup
	$(VENV)/python bench/import_returns.py
bench-publish: setup
	$(VENV)/python bench/publish.py
bench-http: setup
	$(VENV)/python bench/http_load.py
bench-survey: setup
	$(VENV)/python bench/survey_load.py
bench-staff-scores: setup
	$(VENV)/python bench/staff_scores.py
bench-staff-reports: setup
	$(VENV)/python bench/staff_reports.py
