# The whole set-up on a fresh machine: `make run` serves, `make test` runs every test.
VENV     ?= .venv
PYTHON   ?= python3
PY       := $(VENV)/bin/python
UV       := $(VENV)/bin/uv
STAMP    := $(VENV)/.installed
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock

.PHONY: install lock run migrate test lint format export-schema bench bench-servers clean

# pip installs only uv, at the version and hashes the dev lock pins; uv then makes .venv exactly
# the dev lock (hashes checked) and adds the project itself without resolving anything.
$(STAMP): pyproject.toml $(LOCK) $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	awk '/^uv==/ {entry = 1; print; next} entry && /^ / {print; next} {entry = 0}' \
		$(DEV_LOCK) > $(VENV)/uv-requirement.txt
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv-requirement.txt
	$(UV) pip sync --quiet --python $(PY) --require-hashes --strict --compile-bytecode $(DEV_LOCK)
	$(UV) pip install --quiet --python $(PY) --no-deps --no-build-isolation -e .
	@$(PY) -m tools.lock check || echo 'warning: the locks disagree with pyproject.toml: run make lock' >&2
	touch $(STAMP)

install: $(STAMP) ## create the virtual environment and install the service with its dev tools, from the lock

# Installs first only on a fresh clone: an edited pyproject.toml needs its lock, not a reinstall.
lock: ## compile both locks from pyproject.toml, keeping the pins it still allows (UPGRADE=1: newest)
	@test -x $(UV) || $(MAKE) install
	$(PY) -m tools.lock write $(if $(UPGRADE),--upgrade)

run: install ## migrate the configured database (SQLite by default) and serve on HOST:PORT
	$(PY) -m app serve

migrate: install ## apply pending migrations and exit
	$(PY) -m app migrate

test: install ## the whole suite (PostgreSQL + Redis too when TEST_DATABASE_URL/TEST_REDIS_URL are set)
	$(PY) -m pytest

lint: install ## ruff and mypy, as CI runs them
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy app tools

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

export-schema: install ## write schema/schema.graphql and schema/openapi.json from the code
	$(PY) -m app export-schema

BENCH_ARGS         ?=
BENCH_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
BENCH_REDIS_URL    ?= redis://127.0.0.1:6379/0

bench: install ## load benchmarks on the embedded backend (BENCH_ARGS="--quick", "--repeat 3", "--soak 300")
	env -u DATABASE_URL -u REDIS_URL $(PY) -m bench $(BENCH_ARGS)

bench-servers: install ## the same on PostgreSQL + Redis (a fresh database, dropped afterwards)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
