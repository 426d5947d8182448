# Greenlight. Two commands matter: `make dev` runs the product, `make test` runs every test.
export GOTOOLCHAIN := auto
export CGO_ENABLED := 0

GO ?= go

.PHONY: dev test build vet record-histories

## dev: run everything in one process (embedded Temporal, SQLite, API, worker, mail catcher)
dev:
	$(GO) run ./cmd/greenlight dev

## test: all tests — unit, workflow (time skipping), store and end-to-end on real PostgreSQL
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...

build:
	$(GO) build -o bin/greenlight ./cmd/greenlight

## record-histories: refresh workflows/testdata from real runs (after a deliberate, versioned change)
record-histories:
	$(GO) test -count=1 ./e2e -run 'Walkthrough|ChangesThen|Expires|BadBuzz' -record
