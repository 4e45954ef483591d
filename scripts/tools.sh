#!/usr/bin/env bash
# Install the pinned tools (moto, cargo-lambda, cfn-lint) into .venv when missing or when
# scripts/requirements.txt changed. Needs only python3 with venv and pip, and PyPI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
req="$root/scripts/requirements.txt"
stamp="$venv/.installed-$(sha256sum "$req" | cut -c1-16)"
if [ -f "$stamp" ]; then
  exit 0
fi
echo "installing pinned tools into .venv (moto, cargo-lambda, cfn-lint)..." >&2
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req"
rm -f "$venv"/.installed-*
touch "$stamp"
