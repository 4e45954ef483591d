# The two commands the README names: `make test` and `make demo`. Both install what they need
# (a pinned Python venv in .venv with moto, cargo-lambda and cfn-lint) and start their own moto
# server on a free loopback port, stopping it whatever happens.

.PHONY: test demo tools build lint

tools:
	scripts/tools.sh

build:
	cargo build --workspace --bins

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# Unit tests, then acceptance tests against moto (the built binaries run under cargo-lambda's
# Runtime API emulator, so they are built first).
test: tools lint build
	scripts/with-moto.sh cargo test --workspace

# The main job, locally: moto, the functions under the local Lambda runtime, a readable timeline.
demo: tools build
	scripts/with-moto.sh cargo run --quiet -p integration-tests --bin demo
