# Field gateway. `make run` and `make test` work on a fresh clone: each installs what it needs first.
SHELL := /bin/bash
BUN := node_modules/.bin/bun
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run test deps test-deps firmware bench unit typecheck clean

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed

test-deps: deps
	bash scripts/install-test-deps.sh

## Start the gateway on the simulated board; prints the web page address. --smol as in the
## executable (firmware/compile.ts EXEC_ARGV): Bun's small heap, see README "sip".
run: deps
	$(BUN) --smol app/main.ts run --config hw/boards/sim/gateway.yaml --data data --board sim

## Type check, then the whole suite against real peers (mosquitto, sipp, pymodbus, qemu).
test: test-deps typecheck
	$(BUN) test --timeout 60000

typecheck: deps
	node_modules/.bin/tsc --noEmit -p .

firmware: deps
	@if [ -f firmware/build.ts ]; then $(BUN) firmware/build.ts; else echo "firmware build not available yet"; exit 1; fi

## Every benchmark in scripts/bench (figures are printed, never asserted).
bench: deps
	@for f in scripts/bench/*.ts; do echo "== $$f"; $(BUN) $$f || exit 1; done

clean:
	rm -rf dist data node_modules
