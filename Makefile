# vicionboard: build, test, demo, lint, bench. Every target works on a fresh
# machine with Go 1.26 and the Go module proxy.
GO      ?= go
BIN     := bin/vicionboard
PKGS    := ./...

.PHONY: all build test demo lint bench clean

all: lint test build

build:
	$(GO) build -o $(BIN) ./cmd/vicionboard

## test: every test, with the race detector (the README's test command).
test:
	$(GO) test -race -count=1 $(PKGS)

## demo: the built-in simulator plus a run of samples/new_hires.csv.
demo: build
	./$(BIN) demo samples/new_hires.csv

## lint: gofmt and go vet.
lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: Go benchmarks and the four figures of the README's Performance section.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/benchfigures

clean:
	rm -rf bin samples/*.results.csv samples/*.check.csv
