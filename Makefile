# fileconv: two commands set everything up on a fresh Debian machine.
#   make run    installs what is missing, builds, converts a sample
#   make test   installs what is missing, runs every test
SHELL := bash
CARGO ?= cargo
FUZZ_SECONDS ?= 60

.PHONY: run test bench fuzz deps build readme clean

deps:
	@scripts/install-deps

build: deps
	$(CARGO) build --release -p fileconv-cli

run: build
	@mkdir -p target/run
	./target/release/fileconv convert testdata/image/rose.png target/run/rose.jpg --verbose
	./target/release/fileconv probe target/run/rose.jpg
	@echo "make run: converted testdata/image/rose.png to target/run/rose.jpg"

# Unit, integration, CLI and fuzz-regression tests, then doctests; benches are
# compiled and run once each, not timed. Ends with one "N passed, N failed" line.
test: deps
	@mkdir -p target
	@set -o pipefail; { $(CARGO) test --workspace --all-targets && $(CARGO) test --workspace --doc; } 2>&1 | tee target/test.log
	@scripts/test-summary target/test.log

bench: deps
	@scripts/install-deps --bench
	benches/make-inputs.sh
	$(CARGO) bench -p fileconv-benches
	benches/peers.sh

# Coverage-guided fuzzing (nightly + cargo-fuzz); crashes go to fuzz/artifacts/.
fuzz: deps
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in decode_any decode_image decode_audio decode_media decode_sheet decode_document; do \
	  $(CARGO) +nightly fuzz run $$t corpus/$$t regressions/$$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; done

# Regenerates the README's formats table from `fileconv formats --markdown`.
readme: build
	./target/release/fileconv formats --markdown > target/formats.md
	python3 scripts/splice-readme target/formats.md

clean:
	$(CARGO) clean
