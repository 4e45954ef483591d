#!/usr/bin/env bash
# Install the pinned tools into .venv (ignored by git) when missing or when their requirements
# file changed. Needs only python3 with venv and pip, and PyPI.
#   .venv          scripts/requirements.txt: moto, cargo-lambda, cfn-lint, aws-sam-translator, zig
#   .venv/checkov  scripts/requirements-checkov.txt: checkov, in a venv of its own because it
#                  pins boto3 exactly (an old release), which would drag moto's botocore back
#   .venv/sam      scripts/requirements-sam.txt: the SAM CLI (sam validate --lint), in a venv of
#                  its own for the same reason
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

install() { # install VENV REQUIREMENTS WHAT
  local venv=$1 req=$2 what=$3
  local stamp
  stamp="$venv/.installed-$(sha256sum "$req" | cut -c1-16)"
  if [ -f "$stamp" ]; then
    return 0
  fi
  echo "installing pinned tools into ${venv#"$root"/} ($what)..." >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req"
  rm -f "$venv"/.installed-*
  touch "$stamp"
}

install "$root/.venv" "$root/scripts/requirements.txt" "moto, cargo-lambda, cfn-lint, aws-sam-translator, zig"
install "$root/.venv/checkov" "$root/scripts/requirements-checkov.txt" "checkov"
install "$root/.venv/sam" "$root/scripts/requirements-sam.txt" "the SAM CLI"
