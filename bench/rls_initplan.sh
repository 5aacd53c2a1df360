#!/usr/bin/env bash
# Measures what the policy rewrite `auth.uid()` -> `(select auth.uid())` buys: the same
# owner-only policy, written both ways, over a table of N rows owned by 100 users, read as
# one signed-in user. Uses the embedded PostgreSQL (installed on first run).
#
#   bench/rls_initplan.sh [ROWS]        (default 200000)
#
# Results of runs on the reference machine are kept in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-200000}"
# shellcheck source=bench/server.sh
source bench/server.sh

run <<SQL
drop schema if exists bench cascade;
create schema bench;
grant usage on schema bench to authenticated;
create table bench.per_row (id bigint primary key, user_id uuid not null, body text);
create table bench.per_statement (like bench.per_row including all);
insert into bench.per_row
  select g, ('00000000-0000-0000-0000-' || lpad((g % 100)::text, 12, '0'))::uuid, md5(g::text)
  from generate_series(1, $ROWS) g;
insert into bench.per_statement select * from bench.per_row;
-- No index on user_id: the policy is then checked on every row the query scans, which
-- is where evaluating auth.uid() once or per row makes the difference.
alter table bench.per_row enable row level security;
alter table bench.per_statement enable row level security;
create policy own on bench.per_row for select to authenticated using (auth.uid() = user_id);
create policy own on bench.per_statement for select to authenticated using ((select auth.uid()) = user_id);
grant select on bench.per_row, bench.per_statement to authenticated;
analyze bench.per_row;
analyze bench.per_statement;
SQL

measure() {
  run -At <<SQL
begin;
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-000000000007","role":"authenticated"}', true) \\g /dev/null
select count(*) from bench.$1 \\g /dev/null
\\timing on
select count(*) from bench.$1;
select count(*) from bench.$1;
select count(*) from bench.$1;
commit;
SQL
}
echo "rows: $ROWS (each user owns $((ROWS / 100)))"
for variant in per_row per_statement; do
  echo "== $variant policy"
  measure "$variant" | grep -E "^[0-9]|Time"
done
