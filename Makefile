# Two commands from a fresh clone (only Python 3.11+ and make needed): `make up` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test install lock bench-% clean-venv

up: $(STAMP)
	$(BIN)/kis-platform up

test: $(STAMP)
	$(BIN)/pytest -p no:cacheprovider

install: $(STAMP)

# The virtual environment follows the lock file; the project itself is installed editable on top.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# Re-pin after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --extra dev pyproject.toml -o requirements.lock

bench-%: $(STAMP)
	$(BIN)/kis-platform bench $*

clean-venv:
	rm -rf $(VENV)
