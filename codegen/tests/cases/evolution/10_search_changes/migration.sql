-- @generated from spec/public.yaml — do not edit
-- Migration 0008_drop_agents_summary_and_add_agents_summary: changes the schema 0007_spec_change leaves behind into the one the spec declares.

drop index "public"."agents_summary_idx";
drop index "public"."agents_embedding_idx";

alter table "public"."agents" drop column "summary";

alter table "public"."agents" alter column "bio_search" set expression as (to_tsvector('english'::regconfig, COALESCE(bio, ''::text)));
alter table "public"."agents" alter column "legacy_search" drop expression;

alter table "public"."agents" add column "summary" text generated always as ("left"(bio, 100)) stored;

create index "agents_summary_idx" on "public"."agents" using btree ("summary");
create index "agents_embedding_idx" on "public"."agents" using hnsw ("embedding" "vector_l2_ops");
