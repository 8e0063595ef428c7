# threadpact: `make gate` runs the contract gate, `make test` runs the test suite.
# Both create the virtual environment and install what they need on first use
# (Python packages with pip, the TypeScript client's with npm ci).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
REPORTS ?= reports

.PHONY: install node gate test lint typecheck pytest pacts bench clean

# The TypeScript reference client's Node packages, exactly as its lockfile pins them.
NODE_CLIENT := examples/typescript-client
NODE_STAMP := $(NODE_CLIENT)/node_modules/.installed-stamp

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

$(NODE_STAMP): $(NODE_CLIENT)/package-lock.json
	cd $(NODE_CLIENT) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

node: $(NODE_STAMP)

gate: install
	$(BIN)/threadpact gate --report $(REPORTS)

test: lint typecheck pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
pytest: install node
	@url=$$(scripts/postgres.sh) || exit 1; \
	THREADPACT_TEST_POSTGRES_URL="$$url" $(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Rewrite contracts/ from the consumer contract tests (commit the result).
pacts: install
	THREADPACT_PACT_DIR=contracts $(BIN)/pytest -q tests/contract/consumer -p no:cacheprovider

# Benchmarks (speed is measured here, never asserted in tests); needs wrk and PostgreSQL.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "make bench needs wrk: apt-get install -y wrk" >&2; exit 1; }
	@url=$$(scripts/postgres.sh) || exit 1; \
	THREADPACT_TEST_POSTGRES_URL="$$url" $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(REPORTS) .pytest_cache .mypy_cache .ruff_cache .hypothesis
