#!/usr/bin/env bash
# Measures hybrid search over the `ai` schema: N chunks of one knowledge base, each with a
# 1536-dimension embedding (random, so nearest neighbours are spread evenly) and a text of
# ten words from a vocabulary of 1,000, searched by `ai.hybrid_search` as a signed-in user.
# Reports the time to load and index the rows, the plans of the two halves, and the time
# per search. Uses the embedded PostgreSQL (installed on first run).
#
#   bench/hybrid_search.sh [CHUNKS]        (default 20000)
#
# Results of runs on the reference machine are kept in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CHUNKS="${1:-20000}"
# shellcheck source=bench/server.sh
source bench/server.sh

KB=00000000-0000-0000-0000-00000000b001
echo "chunks: $CHUNKS"
echo "== load (chunks, their tsvector, embeddings into the HNSW index)"
run <<SQL
delete from ai.knowledge_bases where id = '$KB';
insert into ai.knowledge_bases (id, name) values ('$KB', 'bench');
insert into ai.sources (id, name) values ('$KB', 'bench') on conflict (id) do nothing;
insert into ai.indexed_sources (id, knowledge_base_id, source_id) values ('$KB', '$KB', '$KB');
\timing on
insert into ai.chunks (id, knowledge_base_id, indexed_source_id, chunk_index, content)
  select md5('chunk' || g)::uuid, '$KB', '$KB', g,
         (select string_agg('w' || ((g * 7919 + i * 104729) % 1000), ' ')
          from generate_series(1, 10) i)
  from generate_series(1, $CHUNKS) g;
insert into ai.embeddings (chunk_id, knowledge_base_id, model, dimensions, embedding)
  select md5('chunk' || g)::uuid, '$KB', 'text-embedding-3-small', 1536,
         (select array_agg(random()::real - 0.5) from generate_series(1, 1536 + g * 0) d)::vector
  from generate_series(1, $CHUNKS) g;
\timing off
analyze ai.chunks;
analyze ai.embeddings;
SQL

# One query vector for the whole run, as a psql variable (`:'qv'`).
search() {
  run -At <<SQL
begin;
select set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', '{"sub":"00000000-0000-0000-0000-000000000007","role":"authenticated"}', true) \\g /dev/null
select (select array_agg(random()::real - 0.5) from generate_series(1, 1536))::vector::text as qv \\gset
$1
commit;
SQL
}

echo "== plans"
search "explain (costs off) select e.chunk_id from ai.embeddings e
          where e.knowledge_base_id = '$KB' and e.model = 'text-embedding-3-small'
          order by e.embedding <=> :'qv'::vector limit 40;
        explain (costs off) select c.id from ai.chunks c
          where c.knowledge_base_id = '$KB' and c.fts @@ websearch_to_tsquery('english', 'w17 w42');" \
  | grep -E "Index|Scan|Sort|Limit" | cut -c1-100
echo "== ai.hybrid_search, 10 results, 5 runs"
search "select count(*) from ai.hybrid_search('$KB', 'w17 w42', :'qv'::vector, 10) \\g /dev/null
\\timing on
select count(*) from ai.hybrid_search('$KB', 'w17 w42', :'qv'::vector, 10);
select count(*) from ai.hybrid_search('$KB', 'w17 w42', :'qv'::vector, 10);
select count(*) from ai.hybrid_search('$KB', 'w17 w42', :'qv'::vector, 10);
select count(*) from ai.hybrid_search('$KB', 'w17 w42', :'qv'::vector, 10);
select count(*) from ai.hybrid_search('$KB', 'w17 w42', :'qv'::vector, 10);" | grep -E "^[0-9]|Time"
