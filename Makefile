# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-unit test-js lint bench clean token build-SharedLayer

# The server with its dev tools, and the Python client (its own distribution in
# clients/python, which tests/client exercises), in one resolve.
$(STAMP): pyproject.toml clients/python/pyproject.toml clients/server-api-python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]' -e ./clients/python -e ./clients/server-api-python
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/switchboard local

# Lint, then the in-process unit layer (two workers), then everything through the
# emulator: e2e and infra on two workers (an emulator each, files kept whole: 3 minutes
# instead of 5), then the clients, the demo page in Chromium and the benchmarks' toy runs
# in one process (tests/web must not run before tests/client in a process), then the JS
# client. The slowest tests are listed, so CI logs say where the minutes go.
test: lint test-unit
	sh scripts/ensure-chromium
	$(BIN)/pytest -q -n 2 --dist loadfile tests/e2e tests/infra --durations=10
	$(BIN)/pytest -q --ignore=tests/unit --ignore=tests/e2e --ignore=tests/infra --durations=10
	$(MAKE) test-js

# The in-process layer alone: tests/unit mirrors shared/ (moto's mock_aws, a real
# redis-server), on two workers.
test-unit: $(STAMP)
	$(BIN)/pytest -q -n 2 tests/unit

# The JS client (clients/js): its Node tests start this venv's emulator.
test-js: $(STAMP)
	@command -v npm >/dev/null || { echo "test-js: npm (Node.js 20+) is needed for clients/js" >&2; exit 1; }
	cd clients/js && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	cd clients/js && SWITCHBOARD_BIN="$(abspath $(BIN))/switchboard" npm test

# Format, lint, types (strict on shared/, each entry point and the Python client; infra/ too), template.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict shared
	for app in functions/*/app.py; do $(BIN)/mypy --strict $$app || exit 1; done
	$(BIN)/mypy infra
	$(BIN)/mypy --strict clients/python/switchboard_client
	$(BIN)/mypy --strict clients/server-api-python/switchboard_server_api
	$(BIN)/cfn-lint template.yaml

# The six measurements of docs/performance.md beside their baselines, with a summary
# (benchmarks/report.py), then the load test at full size (nothing lost, nothing leaked).
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.report
	$(BIN)/python -m benchmarks.load --connections 1000 --chat-size 10 --duration 30 --rate 5 \
	    --leak-timeout 300

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .aws-sam clients/js/node_modules

# `sam build` calls this for the SharedLayer (BuildMethod: makefile): the
# domain package plus the run-time dependencies of pyproject.toml, as arm64
# wheels for Python 3.12. boto3 is bundled too: PynamoDB needs a botocore newer
# than some runtimes ship, and boto3 must match the botocore beside it.
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	cp -r shared "$(ARTIFACTS_DIR)/python/shared"
	$(PYTHON) -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" > "$(ARTIFACTS_DIR)/requirements.txt"
	$(PYTHON) -m pip install --quiet --target "$(ARTIFACTS_DIR)/python" \
	    --platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
	    --only-binary=:all: -r "$(ARTIFACTS_DIR)/requirements.txt"
	rm "$(ARTIFACTS_DIR)/requirements.txt"
