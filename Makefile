# Chiiki: thin wrappers around the real tools. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON := $(VENV)/bin/python
STACK := $(PYTHON) -m chiiki_devstack.cli
UV ?= $(shell command -v uv 2>/dev/null || echo $(VENV)/bin/uv)
PYTEST_ARGS ?=
CHECKOV := .tools/checkov/bin/checkov

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV)/.synced: requirements.lock
	@scripts/bootstrap.sh
	@touch $@

.PHONY: install
install: $(VENV)/.synced ## Create the virtual environment from requirements.lock (and nginx when root)

# checkov (the Kubernetes policy checks of make test) in an environment of its own: its many
# pins would otherwise constrain the services' dependencies.
$(CHECKOV): tools/checkov/requirements.lock | $(VENV)/.synced
	$(UV) venv -q --allow-existing --python $(PYTHON) .tools/checkov
	$(UV) pip sync -q --require-hashes --python .tools/checkov/bin/python tools/checkov/requirements.lock
	@touch $@

.PHONY: lock
lock: ## Re-pin every dependency into requirements.lock (and each image's deploy/images/<role>.lock)
	$(UV) pip compile requirements.in --generate-hashes --no-emit-index-url --python-version 3.11 -o requirements.lock -q
	UV=$(UV) deploy/images/lock.sh

.PHONY: up
up: install ## Start the whole stack in the background and wait until it is healthy
	@$(STACK) up

.PHONY: certs
certs: install ## A development CA and the gateway's certificate in .run/certs (make up TLS=1 makes them too)
	@$(STACK) certs

.PHONY: down
down: ## Stop exactly what `make up` started
	@if [ -x $(PYTHON) ]; then $(STACK) down; fi

.PHONY: ps
ps: install ## Show the stack's processes and health
	@$(STACK) ps

.PHONY: logs
logs: install ## Show the end of every log (LINES=200 for more)
	@$(STACK) logs --lines $${LINES:-50}

.PHONY: migrate
migrate: install ## Create roles and schemas and run every service's migrations
	@$(STACK) migrate

.PHONY: backup
backup: install ## Dump every service schema: make backup [BACKUP_DIR=dir] (default .run/backups/<time>)
	@$(STACK) backup $(if $(BACKUP_DIR),--to $(BACKUP_DIR))

.PHONY: restore
restore: install ## Restore a backup into an empty database: make restore BACKUP_DIR=dir DATABASE_URL=...
	@test -n "$(BACKUP_DIR)" || { echo "usage: make restore BACKUP_DIR=<folder from make backup>"; exit 2; }
	@$(STACK) restore $(BACKUP_DIR)

.PHONY: migration
migration: install ## Autogenerate a migration: make migration SERVICE=auth MSG="add users"
	@$(STACK) migration $(SERVICE) "$(MSG)"

.PHONY: lint
lint: install ## ruff check, ruff format --check and mypy (strict, see pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

.PHONY: format
format: install ## Format and fix what ruff can
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: client
client: install ## Regenerate frontend/src/api/generated/*.ts from the services' OpenAPI documents
	@test -x frontend/node_modules/.bin/openapi-typescript || npm ci --prefix frontend --no-audit --no-fund
	$(PYTHON) tools/contract/generate.py

.PHONY: test
test: lint $(CHECKOV) ## Lint, then every test (unit, integration, end to end)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: fuzz
fuzz: install ## Long fuzzing of all four services: schemathesis and hostile values (FUZZ_MAX_EXAMPLES=200)
	FUZZ_MAX_EXAMPLES=$${FUZZ_MAX_EXAMPLES:-200} HOSTILE_MAX_EXAMPLES=$${HOSTILE_MAX_EXAMPLES:-5000} \
		$(VENV)/bin/pytest tests/fuzz -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: bench
bench: install bench-reset bench-ingest bench-analytics bench-stats bench-idle ## Every benchmark: bench-ingest, bench-analytics, bench-stats, idle memory, the dashboard's first load, then login latency and the gateway's token-check cost (uses wrk if installed); writes bench/results/<timestamp>.json and the summary table of docs/performance.md
	$(VENV)/bin/pytest bench/frontend_bench.py bench/test_auth_bench.py -q -s -p no:cacheprovider $(PYTEST_ARGS)
	$(PYTHON) bench/summarise.py

# The figures of one `make bench` run only: bench/summarise.py reads what this run wrote.
.PHONY: bench-reset
bench-reset:
	rm -rf .run/bench

.PHONY: bench-idle
bench-idle: install ## Each service's web process idle after start-up: RSS and which heavy libraries it holds
	$(VENV)/bin/pytest bench/idle_rss.py -q -s -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: evaluate-forecasts
evaluate-forecasts: install ## Score the prefecture population forecasts: rolling-origin backtest table and the 2015->2020, 2010->2020 MAPE on the 2020 census (writes docs/analytics.md)
	$(PYTHON) services/analytics/scripts/evaluate_population.py --write

.PHONY: evaluate-components
evaluate-components: install ## Score the components-of-change forecasts (births, deaths, migration, SSDSE-B) against the pooled census procedure: the 2010 origin and the 2020 census (writes docs/analytics.md)
	$(PYTHON) services/analytics/scripts/evaluate_components.py --write

.PHONY: bench-frontend
bench-frontend: install ## Dashboard (against the stack of `make up`; `make bench` runs bench/frontend_bench.py on its own stack): first-load JavaScript budget, time to the KPI cards cold and warm (RUNS=5)
	@test -f .run/gateway-url || { echo "bench-frontend measures the running stack: make up first"; exit 1; }
	npm --prefix frontend run --silent budget
	CHIIKI_URL=$$(cat .run/gateway-url) RUNS=$${RUNS:-5} node frontend/bench/time-to-kpi.mjs

.PHONY: bench-analytics
bench-analytics: install ## Analytics: the 47-prefecture forecast of one indicator, stored-forecast reads via the gateway
	$(VENV)/bin/pytest bench/analytics_bench.py -q -s -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: bench-stats
bench-stats: install bench-tools ## Stats: queries through the gateway, uncached, cached (Redis) and revalidated (304); the gateway's read cache against a static file; a mixed load (80% repeated, 20% distinct); one stats worker straight, every route uncached and the dashboards' reads cached
	$(VENV)/bin/pytest bench/stats_bench.py bench/gateway_cache_bench.py bench/mixed_load_bench.py bench/stats_worker_bench.py -q -s -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: bench-gateway-cost
bench-gateway-cost: install bench-tools ## Gateway: what each part of a cached read costs (access log, token check, njs), variants of the rendered config next to a static file
	$(VENV)/bin/pytest bench/gateway_cost_bench.py -q -s -p no:cacheprovider $(PYTEST_ARGS)

# wrk (Debian's), the benchmarks' load generator: installed when missing and run as root.
.PHONY: bench-tools
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; } \
		|| echo "wrk is not installed: the benchmarks fall back to a Python client or skip"

.PHONY: bench-ingest
bench-ingest: install ## Ingestion: cells/s from e-Stat pages to queryable in stats vs a raw COPY, peak memory
	$(PYTHON) bench/ingest_throughput.py $(BENCH_INGEST_ARGS)

.PHONY: soak
soak: install ## Soak test (not in make test): 10 min mixed load with Redis/PostgreSQL outages and a killed worker, on a stack of its own (SOAK_SECONDS=90 for a short one)
	$(PYTHON) bench/soak.py

.PHONY: clean
clean: install ## Stop the stack, drop the development database it created, remove .run
	@$(STACK) clean

.PHONY: compose-up
compose-up: ## Run the whole stack in containers (needs a Docker engine)
	docker compose -f deploy/compose/compose.yaml up --build --detach --wait

.PHONY: compose-down
compose-down: ## Stop the containers
	docker compose -f deploy/compose/compose.yaml down
