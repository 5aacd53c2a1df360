-- @generated from spec/ai.yaml, spec/auth.yaml, spec/public.yaml — do not edit
-- Migration 0005_spec_change: changes the schema 0004_add_users_aud_and_add_users_role_and_add_users_banned_until leaves behind into the one the spec declares.

create extension if not exists "vector";

drop policy "Service role has full access" on "ai"."embeddings";
drop policy "Signed-in users read everything" on "ai"."embeddings";

alter table "ai"."embeddings" alter column "embedding" type vector(1536) using "embedding"::vector(1536);

alter table "ai"."chunks" add column "fts" tsvector generated always as (to_tsvector('english'::regconfig, content)) stored not null;

alter table "ai"."agent_mcp_servers" add constraint "agent_mcp_servers_headers_sealed" check (jsonb_typeof(headers) = 'object' and not jsonb_path_exists(headers, 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true));
alter table "ai"."ai_provider_keys" add constraint "ai_provider_keys_encrypted_key_sealed" check (encrypted_key ~ '^v1:[A-Za-z0-9+/]{38,}={0,2}$');
alter table "ai"."hooks" add constraint "hooks_config_headers_sealed" check (config -> 'headers' is null or (jsonb_typeof(config -> 'headers') = 'object' and not jsonb_path_exists(config -> 'headers', 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true)));
alter table "ai"."tools" add constraint "tools_config_headers_sealed" check (config -> 'headers' is null or (jsonb_typeof(config -> 'headers') = 'object' and not jsonb_path_exists(config -> 'headers', 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true)));

create index "chunks_fts_idx" on "ai"."chunks" using gin ("fts");
create index "embeddings_embedding_idx" on "ai"."embeddings" using hnsw ("embedding" "vector_cosine_ops");

comment on column "ai"."chunks"."fts" is 'Full-text search document of the content, kept by the database; filter with fts=wfts(english).<query>.';
comment on column "ai"."embeddings"."embedding" is 'The vector (pgvector). Written as a JSON array of 1536 numbers; read back in pgvector''s text form.';

create or replace function "ai"."hybrid_search"("knowledge_base_id" uuid, "query_text" text, "query_embedding" vector, "match_count" integer default 10)
returns setof "ai"."chunks"
language sql stable
as $fn$
with semantic as (
  select e.chunk_id, row_number() over (order by e.embedding <=> $3) as rank
  from ai.embeddings e
  where $3 is not null
    and e.knowledge_base_id = $1
    and e.model = (select kb.embedding_model from ai.knowledge_bases kb where kb.id = $1)
  order by e.embedding <=> $3
  limit greatest($4, 1) * 4
),
keyword as (
  select c.id as chunk_id,
         row_number() over (
           order by ts_rank_cd(c.fts, websearch_to_tsquery('english', $2)) desc
         ) as rank
  from ai.chunks c
  where c.knowledge_base_id = $1 and c.fts @@ websearch_to_tsquery('english', $2)
  order by rank
  limit greatest($4, 1) * 4
),
fused as (
  select coalesce(s.chunk_id, k.chunk_id) as chunk_id,
         coalesce(1.0 / (60 + s.rank), 0) + coalesce(1.0 / (60 + k.rank), 0) as score
  from semantic s
  full join keyword k on k.chunk_id = s.chunk_id
)
select c.*
from fused f
join ai.chunks c on c.id = f.chunk_id
order by f.score desc, c.id
limit greatest($4, 1)
$fn$;

comment on function "ai"."hybrid_search"(uuid, text, vector, integer) is 'Chunks of a knowledge base that best match a query, by meaning (embedding) and by words (full text), best first. Either half may be null.';
revoke execute on function "ai"."hybrid_search"(uuid, text, vector, integer) from public;
grant execute on function "ai"."hybrid_search"(uuid, text, vector, integer) to "authenticated", "service_role";

create policy "Service role has full access" on "ai"."embeddings" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."embeddings" as permissive for select to "authenticated"
  using (true);
