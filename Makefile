# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean token build-SharedLayer

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/switchboard local

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/cfn-lint template.yaml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .aws-sam

# `sam build` calls this for the SharedLayer (BuildMethod: makefile):
# the domain package plus the run-time dependencies, laid out as a Python layer.
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	cp -r shared "$(ARTIFACTS_DIR)/python/shared"
	$(PYTHON) -m pip install --quiet --target "$(ARTIFACTS_DIR)/python" \
	    'pynamodb>=6.0' 'pyjwt[crypto]>=2.8' 'redis>=5.0' 'starlette>=0.37' 'mangum>=0.17'
