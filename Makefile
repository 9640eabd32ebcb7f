# netyard — build, test, demo. `make test` is what CI runs.
GO        ?= go
BIN       := bin
PLUGINS   := $(BIN)/plugins
GOFLAGS   ?=
export GOFLAGS

# Plugin packages: directory name under bin/plugins = manifest name.
PLUGIN_PKGS := $(wildcard plugins/*)

.PHONY: all build plugins netyard test test-short vet fmt proto proto-lint demo bench soak fuzz-short clean

all: build

build: netyard plugins

netyard:
	$(GO) build -o $(BIN)/netyard ./cmd/netyard

# Each plugin: bin/plugins/<name>/<name> + its manifest.
plugins:
	@for d in $(PLUGIN_PKGS); do \
	  n=$$(basename $$d); mkdir -p $(PLUGINS)/$$n; \
	  $(GO) build -o $(PLUGINS)/$$n/$$n ./$$d || exit 1; \
	  cp $$d/netyard-plugin.yaml $(PLUGINS)/$$n/; \
	done
	@mkdir -p $(PLUGINS)/../testplugins/testplugin
	$(GO) build -o $(PLUGINS)/../testplugins/testplugin/testplugin ./internal/testplugin
	cp internal/testplugin/netyard-plugin.yaml $(PLUGINS)/../testplugins/testplugin/
	chmod -R go-w $(BIN)

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || (gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'); echo 'gofmt needed'; exit 1)
	$(GO) vet ./...

# The whole suite, plugin binaries built once for the run.
test: build vet
	NETYARD_TEST_BIN=$(CURDIR)/$(BIN)/plugins:$(CURDIR)/$(BIN)/testplugins \
	  $(GO) test -race -count=1 -timeout 15m ./...
	$(MAKE) --no-print-directory fuzz-short FUZZTIME=30000x

test-short: build
	NETYARD_TEST_BIN=$(CURDIR)/$(BIN)/plugins:$(CURDIR)/$(BIN)/testplugins \
	  $(GO) test -short -count=1 ./...

proto:
	$(GO) tool -modfile=tools/go.mod buf lint
	$(GO) tool -modfile=tools/go.mod buf generate

demo: build
	$(BIN)/netyard demo

# Issue 8: every figure side by side in one run (~15 min on 2 shared cores);
# each line is "benchmarks benchtime count", one `go test` process each.
# Output in bench/last.txt (benchstat format), report in bench/REPORT.md.
bench: build
	$(GO) run ./bench/report -sysinfo start > bench/last.txt
	@for run in 'ColdStart 60x 5' 'WarmOpen|WarmOpenClose|UnaryCall|DirectCall 1s 5' \
	    'ScrapliShowVersion 1000x 5' 'Scrapli10MB 3x 5' 'CLI64MiB 3x 3' 'NetconfGetConfig 3x 3' \
	    'ScrapliFleet 1x 3' 'Scaling 1x 3' 'OpenSessions 1x 3'; do \
	  set -- $$run; \
	  cmd="$(GO) test -run '^$$' -bench '^Benchmark($$1)$$' -benchmem -benchtime $$2 -count $$3 -timeout 30m ./bench"; \
	  echo "command: $$cmd" | tee -a bench/last.txt; \
	  NETYARD_TEST_BIN=$(CURDIR)/$(BIN)/plugins:$(CURDIR)/$(BIN)/testplugins eval "$$cmd" 2>&1 | tee -a bench/last.txt; \
	done
	$(GO) run ./bench/report -sysinfo end >> bench/last.txt
	$(GO) run ./bench/report -in bench/last.txt -out bench/REPORT.md
	@! grep -qE '^(--- )?FAIL|^panic:' bench/last.txt || (echo 'make bench: some benchmarks failed; see bench/REPORT.md'; exit 1)

soak: build
	NETYARD_SOAK=1 NETYARD_TEST_BIN=$(CURDIR)/$(BIN)/plugins:$(CURDIR)/$(BIN)/testplugins \
	  $(GO) test -count=1 -timeout 60m -run Soak ./...

# A short coverage-guided run of every fuzz target (the committed corpora
# already run in every `make test`).
FUZZTIME ?= 10s
# (make test passes an execution count: a time limit can end a run with a
# spurious "context deadline exceeded" while a worker is mid-input.)
fuzz-short:
	$(GO) test -run '^$$' -fuzz '^FuzzParseManifest$$' -fuzztime $(FUZZTIME) ./sdk
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeChunked$$' -fuzztime $(FUZZTIME) ./internal/rfc6242
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeEOM$$' -fuzztime $(FUZZTIME) ./internal/rfc6242
	$(GO) test -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME) ./internal/rfc6242
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./inventory

clean:
	rm -rf $(BIN)
