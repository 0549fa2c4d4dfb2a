# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/cluedesk init-db
	$(BIN)/cluedesk deploy
	$(BIN)/cluedesk demo
	@echo ""
	@echo "cluedesk: http://127.0.0.1:5000/  (API: http://127.0.0.1:5000/api/v1/openapi.json)"
	@echo "demo logins (password 'demo'): clerk, a-worker, a-head, chief, designer, admin"
	@echo "API token for a user: $(BIN)/cluedesk tokens issue designer"
	@echo ""
	$(BIN)/cluedesk serve --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
