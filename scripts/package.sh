#!/usr/bin/env bash
# `make package`: build every function for Lambda (arm64, provided.al2023) with cargo-lambda,
# one bootstrap.zip each under target/lambda/<binary>/, and print their sizes.
# The binaries are the ones template.yaml deploys (BuildProperties: Binary), so `sam build`
# and this script build the same set. Needs, and installs when missing: cargo-lambda and zig
# (PyPI, via scripts/tools.sh) and the Rust standard library for aarch64-unknown-linux-gnu
# (rustup). The first build takes about 9 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fail() { echo "package: $*" >&2; exit 1; }

"$root/scripts/tools.sh"
export PATH="$root/.venv/bin:$PATH"

# cargo-lambda links with zig; from PyPI it runs as `python3 -m ziglang` (the venv's python).
python3 -m ziglang version >/dev/null 2>&1 \
  || fail "zig is missing from .venv: check the ziglang line of scripts/requirements.txt and run scripts/tools.sh"

target=aarch64-unknown-linux-gnu
if ! rustc --print sysroot >/dev/null 2>&1; then
  fail "rustc not found: install Rust (rustup) first"
fi
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/$target" ]; then
  command -v rustup >/dev/null \
    || fail "the Rust standard library for $target is missing and rustup is not installed to add it"
  echo "adding the Rust target $target (rustup)..." >&2
  rustup target add "$target" \
    || fail "rustup target add $target failed (it downloads from the Rust distribution server); add the target by hand and retry"
fi

mapfile -t binaries < <(sed -n 's/^ *Binary: *\([A-Za-z0-9_-]*\) *$/\1/p' template.yaml)
[ "${#binaries[@]}" -gt 0 ] || fail "no 'Binary:' entries found in template.yaml"

bin_args=()
for bin in "${binaries[@]}"; do
  bin_args+=(--bin "$bin")
done
cargo lambda build --release --arm64 --output-format zip "${bin_args[@]}"

lambda_dir="${CARGO_TARGET_DIR:-$root/target}/lambda"
echo
printf '%-20s %10s  %s\n' function "zip bytes" path
for bin in "${binaries[@]}"; do
  zip="$lambda_dir/$bin/bootstrap.zip"
  [ -f "$zip" ] || fail "$zip was not produced"
  printf '%-20s %10s  %s (%s)\n' "$bin" "$(stat -c %s "$zip")" "${zip#"$root"/}" "$(du -h "$zip" | cut -f1)"
done
