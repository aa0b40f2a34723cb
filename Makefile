# vicionboard: build, test, demo, lint, bench. Every target works on a fresh
# machine with Go 1.26 and the Go module proxy.
GO      ?= go
BIN     := bin/vicionboard
PKGS    := ./...
# The version the binary reports (vicionboard version): git describe's, when
# this is a git checkout; go install without make records none ("devel").
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS := $(if $(VERSION),-ldflags "-X main.version=$(VERSION)")
CHROMIUM ?= chromium

.PHONY: all build install test demo demo-hr lint bench screenshot generate clean

all: lint test build

build:
	$(GO) build $(LDFLAGS) -o $(BIN) ./cmd/vicionboard

## install: the binary into $GOBIN (default $(go env GOPATH)/bin).
install:
	$(GO) install $(LDFLAGS) ./cmd/vicionboard

## test: every test, with the race detector (the README's test command).
test:
	$(GO) test -race -count=1 $(PKGS)

## demo: the built-in simulator plus a run of samples/new_hires.csv.
demo: build
	./$(BIN) demo samples/new_hires.csv

## demo-hr: an HR system's export (samples/hr_export.csv) with its mapping: logins and passwords generated.
demo-hr: build
	./$(BIN) demo samples/hr_export.csv --map samples/hr_mapping.yaml

## screenshot: samples/report.png, the demo's HTML report in headless Chromium.
screenshot: demo
	$(CHROMIUM) --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1100,1500 \
		--screenshot=samples/report.png "file://$(CURDIR)/samples/new_hires.results.html"

## generate: the README's reason table from report/reasons.go.
generate:
	$(GO) generate ./...

## lint: gofmt and go vet.
lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: Go benchmarks, then the ten figures of the README's Performance section
## (about 9 minutes on 2 cores, figures 8-10 about 4 of them; figure 6 creates 1,000,000 accounts, ~1.2 GB of
## ledger in the temporary directory, removed afterwards).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./cmd/benchfigures

clean:
	rm -rf bin samples/*.results.csv samples/*.check.csv samples/*.results.html samples/*.check.html samples/*.lock
