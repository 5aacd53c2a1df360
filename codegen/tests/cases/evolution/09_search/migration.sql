-- @generated from spec/public.yaml — do not edit
-- Migration 0007_spec_change: changes the schema 0006_drop_agent_tools_and_drop_invoices_and_drop_schema_billing leaves behind into the one the spec declares.

create extension if not exists "vector";

alter table "public"."agents" add column "bio" text;
alter table "public"."agents" add column "bio_search" tsvector generated always as (to_tsvector('simple'::regconfig, COALESCE(bio, ''::text))) stored not null;
alter table "public"."agents" add column "summary" text;
alter table "public"."agents" add column "legacy_search" tsvector generated always as (to_tsvector('simple'::regconfig, name)) stored;
alter table "public"."agents" add column "embedding" vector(3);

create index "agents_bio_search_idx" on "public"."agents" using gin ("bio_search");
create index "agents_summary_idx" on "public"."agents" using btree ("summary");
create index "agents_embedding_idx" on "public"."agents" using hnsw ("embedding" "vector_cosine_ops");
