# printreg — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: install demo serve test lint typecheck pytest coverage bench lock clean

## install: create .venv from the lock file (a no-op when it is up to date)
install: $(STAMP)

$(STAMP): pyproject.toml uv.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen --inexact --python $(VENV)/bin/python
	touch $(STAMP)

## demo: embedded SQLite database with synthetic data, then the product's main job
demo: install
	$(VENV)/bin/printreg demo

## test: lint, types, then the whole suite on SQLite and a throwaway PostgreSQL server
test: install
	bash scripts/ensure-system-deps.sh postgresql chromium orthanc oidc
	$(MAKE) --no-print-directory lint typecheck pytest

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: install
	$(VENV)/bin/mypy

pytest: install
	$(VENV)/bin/pytest -p no:cacheprovider -q -n auto --maxprocesses 4 --dist loadfile

## coverage: the suite with a coverage report (slower: tracing doubles the run time)
coverage: install
	$(VENV)/bin/pytest -p no:cacheprovider -q --cov --cov-report=term:skip-covered

## bench: benchmarks (not tests): figures go to bench/results/
bench: install
	@for script in bench/*.py; do echo "== $$script"; $(VENV)/bin/python $$script || exit 1; done

## lock: re-resolve the lock file after changing dependencies in pyproject.toml
lock: install
	$(VENV)/bin/uv lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .coverage printreg.db printreg.db-wal printreg.db-shm
