# Two commands do all the set-up on a fresh machine:
#   make ask Q="what tariff rate?"   answer a question (creates .venv, installs,
#                                    assembles the model, builds the index on first use)
#   make test                        the whole test suite, the gold-set eval included
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
Q ?= what tariff rate?
MODEL ?= default

.PHONY: browser axe ask test test-fast eval eval-reuters install install-default install-fast install-tiny clean-index

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# one stamp per set of extras, remade when pyproject.toml changes
$(VENV)/.stamp-%: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[$(subst +,$(comma),$*)]'
	touch $@

comma := ,

install: $(VENV)/.stamp-model-default
install-default: $(VENV)/.stamp-model-default
install-fast: $(VENV)/.stamp-model-fast
install-tiny: $(VENV)/.stamp-model-tiny

ask: $(VENV)/.stamp-model-default
	$(BIN)/ask --model $(MODEL) "$(Q)"

test: $(VENV)/.stamp-test+model-default+model-tiny browser axe
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# the UI test's accessibility checks inject axe-core, from the npm registry
AXE := tests/ui_assets/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): tests/ui_assets/package.json
	cd tests/ui_assets && npm install --no-audit --no-fund --silent
	touch $@

# the UI test drives Debian's Chromium (nothing downloads a browser)
browser:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

test-fast: $(VENV)/.stamp-test+model-tiny
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow and not eval"

eval: $(VENV)/.stamp-test+model-default
	$(BIN)/rag eval --model $(MODEL) --check

# the Reuters-21578 gold set's test half (converted and indexed on first use); fails under eval/thresholds.toml
eval-reuters: $(VENV)/.stamp-test+model-default
	$(BIN)/rag eval --gold reuters --split test --no-unchecked --model $(MODEL) --check

clean-index:
	rm -rf index/v-* index/current index/.tmp-* index/.current-*
