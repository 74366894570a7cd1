# fileconv: two commands set everything up on a fresh Debian machine.
#   make run    installs what is missing, builds, starts the HTTP service
#   make test   installs what is missing, runs every test
SHELL := bash
CARGO ?= cargo
FUZZ_SECONDS ?= 60

.PHONY: run test bench fuzz deps build readme clean realworld

deps:
	@scripts/install-deps

LISTEN ?= 127.0.0.1:8080

build: deps
	$(CARGO) build --release -p fileconv-cli -p fileconv-server

# The service on its embedded defaults: SQLite and files under ./fileconv-data.
run: build
	@echo
	@echo "fileconv-server on http://$(LISTEN) (records and files in ./fileconv-data; Ctrl-C stops it). Try, from another shell:"
	@echo "  curl -s -X POST http://$(LISTEN)/api/files/get-upload-url -H 'Content-Type: application/json' -d '{\"fileName\":\"photo.png\",\"fileSize\":204800,\"contentType\":\"image/png\"}'"
	@echo "  cp testdata/image/rose.png photo.png && grep -v Authorization scripts/quickstart.sh | BASE_URL=http://$(LISTEN) bash   # the Quick Start, free tier: photo.png -> output.jpg"
	@echo "  API_KEY=\$$(./target/release/fileconv-server keys create --plan pro) BASE_URL=http://$(LISTEN) scripts/quickstart.sh   # the same with a new Pro key"
	@echo
	./target/release/fileconv-server --listen $(LISTEN)

# Unit, integration, CLI and fuzz-regression tests, then doctests, then the
# web pages in Debian's Chromium (tests/browser); benches are
# compiled and run once each, not timed. Ends with one "N passed, N failed" line.
# The service's tests link hostile test formats (fileconv-testformats) into
# its binary, to crash converter children for real; a release never has them.
TEST_FEATURES := --features fileconv-server/test-formats
test: deps
	@mkdir -p target
	@set -o pipefail; { $(CARGO) test --workspace --all-targets $(TEST_FEATURES) && $(CARGO) test --workspace --doc $(TEST_FEATURES) && tests/browser/run; } 2>&1 | tee target/test.log
	@scripts/test-summary target/test.log

bench: deps
	@scripts/install-deps --bench
	benches/make-inputs.sh
	$(CARGO) bench -p fileconv-benches
	benches/peers.sh

# Coverage-guided fuzzing (nightly + cargo-fuzz); crashes go to fuzz/artifacts/.
fuzz: deps
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && for t in decode_any decode_image decode_raw decode_svg decode_audio decode_media decode_sheet decode_document decode_pages decode_subtitle; do \
	  $(CARGO) +nightly fuzz run $$t corpus/$$t regressions/$$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 || exit 1; done

# The real-world corpus (issue 14): about 1,170 files from public test
# suites (scripts/realworld/corpus.tsv records each one's source and licence),
# converted to each family's usual targets and judged by independent readers
# (Pillow, ffprobe, pandoc, pdftotext, openpyxl, xlrd...). Prints the table of
# classes; every conversion's class and reason is in target/realworld/run/results.tsv.
REALWORLD_JOBS ?= 2
realworld: build
	@scripts/install-deps --realworld
	@test -x target/realworld/venv/bin/python || python3 -m venv target/realworld/venv
	@target/realworld/venv/bin/pip install -q -r scripts/realworld/requirements.txt
	python3 scripts/realworld/fetch_corpus.py target/realworld/corpus
	target/realworld/venv/bin/python scripts/realworld/judge.py target/release/fileconv target/realworld/corpus target/realworld/run --jobs $(REALWORLD_JOBS)

# Regenerates the README's formats table from `fileconv formats --markdown`.
readme: build
	./target/release/fileconv formats --markdown > target/formats.md
	python3 scripts/splice-readme target/formats.md

clean:
	$(CARGO) clean
