PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DATA_DIR ?= .data

.PHONY: install run test lint bench schema clean graphiql-assets chromium

$(BIN)/persona-api: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/persona-api

run: install
	$(BIN)/persona-api serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint chromium
	$(BIN)/pytest

# The playground test drives Debian's Chromium; install it where we may (root, as in CI).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	  || echo "chromium cannot be installed here: the playground test will be skipped"; }

# e.g. make bench BENCH_ARGS="--quick" or BENCH_ARGS="--personas 1000 --large 0"; see BENCH.md.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

schema: install
	$(BIN)/persona-api export-schema

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Refresh the vendored GraphiQL files from npm (see graphql_schema/static/graphiql/README.md).
GRAPHIQL_ASSETS := graphql_schema/static/graphiql
GRAPHIQL_FILES := react@18.2.0/umd/react.production.min.js \
	react-dom@18.2.0/umd/react-dom.production.min.js js-cookie@3.0.5/dist/js.cookie.min.js \
	graphiql@3.8.3/graphiql.min.css graphiql@3.8.3/graphiql.min.js \
	@graphiql/plugin-explorer@1.0.2/dist/style.css @graphiql/plugin-explorer@1.0.2/dist/index.umd.js

graphiql-assets:
	set -e; tmp=$$(mktemp -d); for file in $(GRAPHIQL_FILES); do \
	  spec=$${file%%/*}; case $$file in @*) spec=$$(echo $$file | cut -d/ -f1-2);; esac; \
	  dir=$$tmp/$$spec; mkdir -p $$dir; \
	  [ -d $$dir/package ] || (cd $$dir && npm pack --silent $$spec >/dev/null && tar xzf *.tgz); \
	  install -D $$dir/package/$${file#$$spec/} $(GRAPHIQL_ASSETS)/$$file; \
	done; rm -rf $$tmp
