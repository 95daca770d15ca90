# make demo | make test | make bench | make lint — each bootstraps .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# MercadoPago's Node SDK for tests/sandbox/peers/, from the committed lockfile.
NODE_PEER := tests/sandbox/peers/node
NODE_STAMP := $(NODE_PEER)/node_modules/.installed
# Test processes: most slow tests wait on sockets and subprocesses, so 4 beat 2 on 2 cores.
TEST_WORKERS ?= 4

.PHONY: demo test lint bench services screenshots clean

$(STAMP): pyproject.toml examples/vivo_envios/pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Vivo needs Python 3.11 or newer"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,dev,peers]'
	# the example plugin (docs/framework.md): the suite enables it and runs its tests
	$(BIN)/python -m pip install --quiet -e examples/vivo_envios
	@touch $(STAMP)

# npm ci empties node_modules first, so the stamp inside it goes with it: this runs again when
# node_modules is missing or the lockfile changed, with the npm registry this machine uses.
$(NODE_STAMP): $(NODE_PEER)/package-lock.json $(NODE_PEER)/package.json
	npm ci --prefix $(NODE_PEER) --no-audit --no-fund
	@touch $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/vivo demo

test: $(STAMP) $(NODE_STAMP) services
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

services:
	@bash scripts/services.sh
	@bash scripts/browser.sh
	@bash scripts/speech.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP) services
	$(BIN)/python benchmarks/flash_sale.py
	$(BIN)/python benchmarks/twitch_rush.py
	$(BIN)/python benchmarks/youtube_quota.py
	$(BIN)/python benchmarks/panel.py
	$(BIN)/python benchmarks/idle_memory.py
	$(BIN)/python benchmarks/scale_out.py
	$(BIN)/python benchmarks/claim_words.py

screenshots: $(STAMP) services
	VIVO_SCREENSHOTS=docs/images $(BIN)/python -m pytest tests/browser -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(NODE_PEER)/node_modules
