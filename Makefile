# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
# Tests run in parallel processes (pytest-xdist); each has its own scratch databases. Work
# stealing: a process that runs out of tests takes some from the other's queue, so a long test
# near the end (the schema fuzz, ~70 s) does not leave the other process idle.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install assets clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@ldconfig -p 2>/dev/null | grep -q "libseccomp.so.2" || echo "warning: libseccomp2 is missing \
	(apt-get install libseccomp2): BPMN scripts run in seccomp-confined workers and will fail"
	touch $(STAMP)

ASSETS := web/static/vendor/.installed

# Front-end packages from the npm registry, pinned by web/assets/package-lock.json, copied into
# web/static/vendor/ (served by cluedesk itself; never committed, never a CDN). The designer's
# modeler (bpmn-js with its properties panel and cluedesk's groups, web/assets/src/) is bundled
# by esbuild, itself from the npm registry.
$(ASSETS): web/assets/package.json web/assets/package-lock.json $(wildcard web/assets/src/*)
	cd web/assets && npm ci --no-audit --no-fund --loglevel=error
	rm -rf web/static/vendor && mkdir -p web/static/vendor/bpmn-js
	cp web/assets/node_modules/htmx.org/dist/htmx.min.js web/static/vendor/
	cp web/assets/node_modules/echarts/dist/echarts.min.js web/static/vendor/
	cp web/assets/node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
	   web/assets/node_modules/bpmn-js/dist/bpmn-modeler.production.min.js web/static/vendor/bpmn-js/
	cp -r web/assets/node_modules/bpmn-js/dist/assets/. web/static/vendor/bpmn-js/
	cp web/assets/node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css \
	   web/static/vendor/bpmn-js/
	web/assets/node_modules/.bin/esbuild web/assets/src/designer-modeler.js --bundle --minify \
	   --format=iife --target=es2020 --log-level=warning \
	   --outfile=web/static/vendor/bpmn-js/designer-modeler.js
	touch $(ASSETS)

install: $(STAMP) $(ASSETS)

assets: $(ASSETS)

# First start: random secrets into instance/local.yaml (a demo installation); a database whose
# audit trail was signed with the public development key (earlier releases) is rotated onto them.
run: $(STAMP) $(ASSETS)
	$(BIN)/cluedesk init-secrets --demo
	$(BIN)/cluedesk audit rotate-key
	$(BIN)/cluedesk init-db
	$(BIN)/cluedesk deploy
	$(BIN)/cluedesk demo
	@echo ""
	@echo "cluedesk: http://127.0.0.1:5000/  (API: http://127.0.0.1:5000/api/v1/openapi.json)"
	@echo "demo logins (password 'demo'): clerk, a-worker, a-head, chief, designer, admin"
	@echo "API token for a user: $(BIN)/cluedesk tokens issue designer"
	@echo ""
	$(BIN)/cluedesk serve --host 127.0.0.1 --port 5000

test: $(STAMP) $(ASSETS)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache web/static/vendor web/assets/node_modules
