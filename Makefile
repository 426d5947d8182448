# Greenlight. Two commands matter: `make dev` runs the product, `make test` runs every test.
export GOTOOLCHAIN := auto
export CGO_ENABLED := 0

GO ?= go

.PHONY: dev test build vet record-histories bench bench-dev fuzz

## dev: run everything in one process (embedded Temporal, SQLite, API, worker, mail catcher)
dev:
	$(GO) run ./cmd/greenlight dev

## test: all tests — unit, workflow (time skipping), store and end-to-end on real PostgreSQL
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...
	cd deploy/helmcheck && $(GO) vet ./... && $(GO) test -count=1 -timeout 20m ./...

build:
	$(GO) build -o bin/greenlight ./cmd/greenlight

## record-histories: refresh workflows/testdata from real runs (after a deliberate, versioned change)
record-histories:
	$(GO) test -count=1 ./e2e -run 'Walkthrough|ChangesThen|Expires|BadBuzz|BlueskyRateLimit' -record

## bench-dev: dev mode with the /approve rate limit lifted, for the load tool (another terminal)
bench-dev:
	GREENLIGHT_APPROVE_RATE_LIMIT=1000000 $(GO) run ./cmd/greenlight dev --data ./data-bench

## bench: the load tool against `make bench-dev` (see BENCHMARKS.md); PENDING=10000 adds the scale run
PENDING ?= 0
bench:
	$(GO) run ./cmd/greenlight bench --url http://127.0.0.1:8080 --key $$(cat data-bench/admin.key) --posts 500 --concurrency 16 --crises 20 --pending $(PENDING)
	$(GO) test -run XXX -bench . -benchtime 2s ./store ./service ./workflows

## fuzz: run each fuzz target for a while (their seed corpora run in `make test`)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./api -run XXX -fuzz FuzzDecodePostRequest -fuzztime $(FUZZTIME)
	$(GO) test ./api -run XXX -fuzz FuzzMentionBatch -fuzztime $(FUZZTIME)
	$(GO) test ./playbooks -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./diff -run XXX -fuzz FuzzWordsRoundTrip -fuzztime $(FUZZTIME)
