# The two commands the README names: `make test` and `make demo`. Both install what they need
# (pinned Python venvs under .venv: moto, cargo-lambda, cfn-lint, zig; checkov in its own) and
# start their own moto server on a free loopback port, stopping it whatever happens.

.PHONY: test demo tools build lint bench template-check package fuzz whatif

tools:
	scripts/tools.sh

build:
	cargo build --workspace --bins

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# Unit tests, then acceptance tests against moto (the built binaries run under cargo-lambda's
# Runtime API emulator, so they are built first).
test: tools lint template-check build
	scripts/with-moto.sh cargo test --workspace --no-fail-fast

# Not part of `make test` (which runs 256 cases per property): the property-based tests of the
# event parsers and the capacity decision with many more cases. FUZZ_CASES=... to change.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p remediation --test decision_properties
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p remediation --test lifecycle_model
	PROPTEST_CASES=$(FUZZ_CASES) cargo test -p integration-tests --test parser_properties

# The main job, locally: moto, the functions under the local Lambda runtime, a readable timeline.
demo: tools build
	scripts/with-moto.sh cargo run --quiet -p integration-tests --bin demo

# Not part of `make test`: cold start, memory, AWS calls and size of the release binaries next to
# a Python peer, plus criterion hot-path benches; prints one table (see BENCHMARKS.md); then the
# fleet sweep (200 endpoints, every call 30 ms slower) prints its calls and wall time.
bench: tools
	cargo build --release -p scale-on-latency -p prewarm -p drift-notify
	rm -rf "$${CARGO_TARGET_DIR:-target}/criterion"
	cargo bench -p bench --bench hot_path -- --warm-up-time 1 --measurement-time 2
	cargo bench -p bench --bench whatif -- --warm-up-time 1 --measurement-time 5
	scripts/with-moto.sh .venv/bin/python bench/run.py
	scripts/with-moto.sh cargo test --workspace --test fleet -- --nocapture

# The deployable stack: cfn-lint on template.yaml and on its SAM expansion (the rules,
# permissions and schedules SAM generates), then checkov on its security, then `sam validate
# --lint` as a user deploying with SAM runs it (offline: the credentials are placeholders). A check may only be
# skipped in the template itself, with a one-line reason. tests/tests/template.rs (part of
# `cargo test`) checks that the template and the code agree.
template-check: tools
	.venv/bin/cfn-lint template.yaml
	mkdir -p target
	.venv/bin/python scripts/sam-transform.py template.yaml > target/template.transformed.json
	.venv/bin/cfn-lint target/template.transformed.json
	.venv/checkov/bin/checkov --file template.yaml --framework cloudformation --quiet --compact --skip-download
	SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=unused AWS_SECRET_ACCESS_KEY=unused \
		.venv/sam/bin/sam validate --lint --template template.yaml

# One bootstrap.zip per function for Lambda (arm64, provided.al2023), and their sizes.
package: tools
	scripts/package.sh

# What-if: generate the three sample traces (deterministic) into target/whatif/traces, then
# replay each against target tracking alone, +prewarm (the calendar next to it in
# events/traces/), +latency and +demand; prints the tables and writes JSON, per-minute CSV and an
# SVG chart per trace into target/whatif (see docs/whatif.md). Needs only cargo.
WHATIF = cargo run --quiet -p whatif --
WHATIF_OUT ?= $${CARGO_TARGET_DIR:-target}/whatif
whatif:
	$(WHATIF) generate --out $(WHATIF_OUT)/traces
	$(WHATIF) run --trace $(WHATIF_OUT)/traces/gaming-promotion.csv --calendar events/traces/gaming-promotion-calendar.json --out $(WHATIF_OUT) --chart-from 2026-12-04T22:00:00Z --chart-to 2026-12-05T03:00:00Z
	$(WHATIF) run --trace $(WHATIF_OUT)/traces/diurnal-week.csv --calendar events/traces/diurnal-week-calendar.json --out $(WHATIF_OUT)
	$(WHATIF) run --trace $(WHATIF_OUT)/traces/flash-crowd.csv --calendar events/traces/flash-crowd-calendar.json --out $(WHATIF_OUT) --chart-from 2026-11-10T13:00:00Z --chart-to 2026-11-10T18:00:00Z
