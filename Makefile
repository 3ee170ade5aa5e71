# ccw — build, test, check, benchmark.
#   make quickstart     build ccw and run examples/quickstart.hcl (offline, seconds)
#   make setup          install what the tests need (Debian python3 libraries, Docker, test image); root
#   make test           all tests (what CI runs after setup)
#   make check          gofmt + go vet + tests + validate the examples
#   make bench          benchmarks that print their ratios (CacheBackends needs versitygw: make setup)
#   make fuzz           the fuzz targets, briefly

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
BIN      := bin/ccw
FUZZTIME ?= 30s

.PHONY: build quickstart setup test race check fmt vet validate bench fuzz clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ccw

quickstart: build
	$(BIN) run examples/quickstart.hcl
	$(BIN) report results/quickstart

setup:
	bash .ci/setup

test: build
	$(GO) test -count=1 -timeout 30m ./...
	$(GO) test -count=1 -race ./engine/... ./stages/llm ./stages/llmstage

check: fmt vet test validate

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

validate: build
	@for f in examples/*.hcl; do $(BIN) validate $$f --var coder_model=validate-only 2>/dev/null >/dev/null || $(BIN) validate $$f || exit 1; done

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./engine
	$(GO) test -run '^$$' -bench . -benchtime 3x ./engine/dag
	$(GO) test -run '^$$' -bench . -benchtime 3x ./stages/llm
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./stages/sandbox
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 120m ./examples

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) ./cmd/ccw
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./engine/cachekey
	$(GO) test -run '^$$' -fuzz FuzzReadFile -fuzztime $(FUZZTIME) -fuzzminimizetime 20x ./stages/tasks

clean:
	rm -rf bin results
