# netyard — build, test, demo. `make test` is what CI runs.
GO        ?= go
BIN       := bin
PLUGINS   := $(BIN)/plugins
GOFLAGS   ?=
export GOFLAGS

# Plugin packages: directory name under bin/plugins = manifest name.
PLUGIN_PKGS := $(wildcard plugins/*)

.PHONY: all build plugins netyard test test-short vet fmt proto proto-lint demo bench soak clean

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

test-short: build
	NETYARD_TEST_BIN=$(CURDIR)/$(BIN)/plugins:$(CURDIR)/$(BIN)/testplugins \
	  $(GO) test -short -count=1 ./...

proto:
	$(GO) tool -modfile=tools/go.mod buf lint
	$(GO) tool -modfile=tools/go.mod buf generate

demo: build
	$(BIN)/netyard demo

bench: build
	NETYARD_TEST_BIN=$(CURDIR)/$(BIN)/plugins:$(CURDIR)/$(BIN)/testplugins \
	  $(GO) test -run '^$$' -bench . -benchmem -count 5 ./bench/... | tee bench/last.txt

soak: build
	NETYARD_SOAK=1 NETYARD_TEST_BIN=$(CURDIR)/$(BIN)/plugins:$(CURDIR)/$(BIN)/testplugins \
	  $(GO) test -count=1 -timeout 60m -run Soak ./...

clean:
	rm -rf $(BIN)
