#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit, golden and end-to-end tests with the
# real clients, and validation of the committed OpenAPI documents.
# It installs what it needs (npm packages, a Python venv with the OpenAPI validator); the
# embedded PostgreSQL is installed by the tests themselves from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing client test dependencies (npm)"
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error

step "installing the OpenAPI validator (PyPI, in target/venv)"
if [ ! -x target/venv/bin/openapi-spec-validator ]; then
  python3 -m venv target/venv
  target/venv/bin/pip install --quiet --disable-pip-version-check openapi-spec-validator==0.7.2
fi

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

stop_test_clusters() {
  for pidfile in target/ferrobase-it/data/postmaster.pid target/embedded-test-home/data/postmaster.pid; do
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

step "OpenAPI documents validate"
for doc in generated/artifacts/openapi/*.json; do
  target/venv/bin/openapi-spec-validator "$doc"
done
