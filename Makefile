# The two set-up commands of the README: `make serve` and `make test`.
# Both build .venv/ from committed lock files first: `serve` with what the
# service needs to run, `test` (and `lint`, `bench`) with the development set,
# which holds the same pins and more. The project is installed in place, with
# the build backend of requirements-build.lock (no build isolation).

PYTHON ?= python3
VENV := .venv
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed
PIP_INSTALL := $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check

.PHONY: serve test check reliability lint bench lock clean

serve: $(RUNTIME)
	$(VENV)/bin/clientes serve

# Every test: on two processes, then the tests marked serial (load, faults, the
# benchmark's smoke run), which time what they do, alone; it fails if either part does.
test: $(DEV)
	$(VENV)/bin/pytest --numprocesses 2 -m "not serial"; status=$$?; \
	$(VENV)/bin/pytest -m serial && exit $$status

# The quick loop, under a minute: lint, types, and the tests that need no server
# and are not slow. The servers' addresses point nowhere, so a test that reaches
# one without its marker fails here.
NOWHERE := CLIENTES_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:9/none \
	CLIENTES_TEST_REDIS_URL=redis://127.0.0.1:9/0
check: lint
	$(NOWHERE) $(VENV)/bin/pytest --numprocesses 2 -q -m "not postgres and not redis and not slow"

# The reliability and security suite alone, writing its figures to docs/reliability.md
# (the same tests run in `make test`). The fault tests mount filesystems: run it as root.
RELIABILITY := test_security test_limits test_http_auth test_properties test_load test_faults
reliability: $(DEV)
	CLIENTES_RELIABILITY_REPORT=docs/reliability.md $(VENV)/bin/pytest $(RELIABILITY:%=tests/%.py)

# make bench ARGS=--quick for a smoke run; .venv/bin/python -m bench.run --help for the options.
bench: $(DEV)
	$(VENV)/bin/python -m bench.run $(ARGS)

lint: $(DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed" or 0)'
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): LOCKS := requirements.lock requirements-build.lock
$(RUNTIME): requirements.lock requirements-build.lock
$(DEV): LOCKS := requirements-dev.lock
$(DEV): requirements-dev.lock
$(RUNTIME) $(DEV): pyproject.toml | $(VENV)/bin/python
	$(PIP_INSTALL) --require-hashes --no-deps $(addprefix -r ,$(LOCKS))
	$(PIP_INSTALL) --no-deps --no-build-isolation --editable .
	touch $@

# Re-resolve the lock files after changing the dependencies in pyproject.toml:
# requirements-dev.lock for .venv/, then, within its pins, requirements.lock for
# the service (the container image) and requirements-build.lock for installing it.
LOCK := $(VENV)/bin/uv pip compile --universal --python-version 3.11 --generate-hashes --no-header
lock: $(DEV)
	$(VENV)/bin/python -m pip install --quiet uv
	$(LOCK) pyproject.toml --extra dev --group build -o requirements-dev.lock
	$(LOCK) pyproject.toml -c requirements-dev.lock -o requirements.lock
	$(LOCK) --group build -c requirements-dev.lock -o requirements-build.lock

clean:
	rm -rf $(VENV) var
