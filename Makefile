# recallguard — the developers' entry points. `make demo` and `make test` work on a fresh machine.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: install install-user demo test lint typecheck bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The developers' and CI's install: the package, the test tools and every optional extra bench needs.
$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $(DEV_STAMP)

install: $(DEV_STAMP)

# A user's light install (no Spark, no test tools).
install-user: $(BIN)/python
	$(BIN)/pip install --quiet -e .

demo: $(BIN)/python
	@$(BIN)/python -c "import recallguard" 2>/dev/null || $(BIN)/pip install --quiet -e .
	$(BIN)/python -m recallguard.demo

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
