# cwsync — the README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-reliability lint typecheck openapi bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cwsync demo

lint: $(STAMP)
	$(BIN)/ruff check src scheduler tests migrations benchmarks
	$(BIN)/ruff format --check src scheduler tests migrations benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src/cwsync scheduler

# Most tests wait on sockets and child processes, not the CPU: three workers halve the wall
# time even on two cores. Each worker has its own PostgreSQL database and simulator.
test: lint typecheck
	$(BIN)/pytest -m "not reliability" -n 3

test-reliability: $(STAMP)
	$(BIN)/pytest -m reliability

openapi: $(STAMP)
	$(BIN)/cwsync openapi --output openapi.json

bench: $(STAMP)
	$(BIN)/python -m benchmarks.sync

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo .bench
