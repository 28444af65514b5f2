# kokin — the two commands for a fresh machine are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
DEMO := var/demo
KOKIN := $(UV) run --frozen kokin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: setup demo demo-formats test lint bench bench-exchange bench-banklink clean

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

# The main job on the embedded default: the hub on https://localhost:8443 with the demo ward
# (SQLite and all data in ./var; the demo logins are printed on first start).
demo: setup
	KOKIN_HOME=$(CURDIR)/var $(KOKIN) demo

# The format engine on its own: build the demo ward's debit request from a CSV of payers,
# check it, summarise it and convert it.
demo-formats: setup
	@mkdir -p $(DEMO)
	$(KOKIN) debit build --from examples/debit-requests.csv -o $(DEMO)/debit-request.dat \
	  --consignor-code 1234567890 --consignor-name "デモク ゼイムカ" --debit-date 0527 \
	  --bank-code 0001 --branch-code 001 --account-number 7777777
	$(KOKIN) validate $(DEMO)/debit-request.dat --format zengin-debit
	$(KOKIN) inspect $(DEMO)/debit-request.dat
	$(KOKIN) convert $(DEMO)/debit-request.dat --format zengin-debit --to json -o $(DEMO)/debit-request.json
	$(KOKIN) convert $(DEMO)/debit-request.dat --format zengin-debit --to csv -o $(DEMO)/debit-request.csv
	$(KOKIN) convert $(DEMO)/debit-request.dat --format zengin-debit --to xlsx -o $(DEMO)/debit-request.xlsx
	@echo "demo files: $(DEMO)/"

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy
	$(UV) run --frozen lint-imports

# The whole suite on SQLite with the local blob store, then the hub's tests again on PostgreSQL
# (started if it is not running) with the shared database blob store, so both stores run on CI.
test: lint
	@bash scripts/install-test-tools.sh
	$(UV) run --frozen pytest -n 2 -q
	@bash scripts/ensure-postgres.sh
	DATABASE_URL=$(PG_URL) KOKIN_BLOB_STORE=database KOKIN_SKIP_BROWSER=1 $(UV) run --frozen pytest -n 2 -q tests/hub

bench: setup
	$(UV) run --frozen python benchmarks/bench_formats.py

# A 100 MB file up to and down from the HTTPS hub against nginx on loopback (needs Debian's nginx and curl).
bench-exchange: setup
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "bench-exchange: installing nginx (apt-get)"; \
	  $$( [ "$$(id -u)" -eq 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" -eq 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx curl >/dev/null; }
	$(UV) run --frozen python benchmarks/bench_exchange.py

# A 100 MB file over the bank link (agent <-> hub) against OpenSSH sftp on loopback (needs Debian's openssh).
bench-banklink: setup
	@[ -x /usr/sbin/sshd ] && command -v sftp >/dev/null 2>&1 || { \
	  echo "bench-banklink: installing openssh-server and openssh-client (apt-get)"; \
	  $$( [ "$$(id -u)" -eq 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" -eq 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null; }
	$(UV) run --frozen python benchmarks/bench_banklink.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
