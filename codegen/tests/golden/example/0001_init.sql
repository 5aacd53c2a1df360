-- @generated from spec/ai.yaml, spec/auth.yaml, spec/public.yaml — do not edit
-- Migration 0001_init: creates everything the spec declares.

create extension if not exists vector;

create schema if not exists "ai";
comment on schema "ai" is 'State of the AI features (knowledge bases, agents, orchestrations, workflows, tools).';
grant usage on schema "ai" to anon, authenticated, service_role;

create schema if not exists "auth";
comment on schema "auth" is 'Platform users and sessions. Not exposed on /rest/v1.';

create schema if not exists "public";
comment on schema "public" is 'The application''s own tables.';
grant usage on schema "public" to anon, authenticated, service_role;

create table "ai"."project_settings" (
  "id" uuid not null default gen_random_uuid(),
  "key" text not null,
  "value" jsonb not null default '{}'::jsonb,
  "description" text,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "project_settings_pkey" primary key ("id"),
  constraint "project_settings_key_key" unique ("key"),
  constraint "project_settings_key_check" check ("key" is null or (char_length("key") >= 1 and char_length("key") <= 100))
);
comment on table "ai"."project_settings" is 'Project-wide AI settings as key and value (default model, limits, ...).';
alter table "ai"."project_settings" enable row level security;
create policy "Service role has full access" on "ai"."project_settings" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."project_settings" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."project_settings" to "anon";
grant delete, insert, select, update on table "ai"."project_settings" to "authenticated";
grant all on table "ai"."project_settings" to "service_role";

create table "auth"."users" (
  "id" uuid not null default gen_random_uuid(),
  "email" text,
  "encrypted_password" text,
  "email_confirmed_at" timestamptz,
  "raw_app_meta_data" jsonb not null default '{}'::jsonb,
  "raw_user_meta_data" jsonb not null default '{}'::jsonb,
  "last_sign_in_at" timestamptz,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  "aud" text not null default 'authenticated'::text,
  "role" text not null default 'authenticated'::text,
  "banned_until" timestamptz,
  constraint "users_pkey" primary key ("id"),
  constraint "users_email_key" unique ("email"),
  constraint "users_email_check" check ("email" is null or (char_length("email") <= 320))
);
comment on table "auth"."users" is 'One row per end user. `id` is the `sub` claim of the user''s access tokens.';
comment on column "auth"."users"."email" is 'Stored trimmed and lowercase.';
comment on column "auth"."users"."encrypted_password" is 'Password hash; never served by any endpoint.';
comment on column "auth"."users"."aud" is 'Audience of the user''s access tokens.';
comment on column "auth"."users"."role" is 'Database role of the user''s access tokens; admins may set another API role.';
comment on column "auth"."users"."banned_until" is 'Until then the user cannot sign in or refresh; admins set it with `ban_duration`.';
grant delete, insert, select, update on table "auth"."users" to "service_role";

create table "ai"."agents" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "name" text not null,
  "description" text,
  "model" text not null default 'gpt-4o'::text,
  "system_prompt" text,
  "settings" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "agents_pkey" primary key ("id"),
  constraint "agents_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100))
);
comment on table "ai"."agents" is 'LLM agents: a model, a system prompt and settings, with tools, knowledge bases, MCP servers and hooks attached.';
comment on column "ai"."agents"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
comment on column "ai"."agents"."settings" is 'Model settings: temperature, max_tokens, top_p, reasoning, max_context_tokens, ...';
create index "agents_user_id_created_at_idx" on "ai"."agents" using btree ("user_id", "created_at" desc);
alter table "ai"."agents" enable row level security;
create policy "Service role has full access" on "ai"."agents" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."agents" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."agents" to "anon";
grant delete, insert, select, update on table "ai"."agents" to "authenticated";
grant all on table "ai"."agents" to "service_role";

create table "ai"."agent_mcp_servers" (
  "id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "name" text not null,
  "url" text not null,
  "transport" text not null default 'http'::text,
  "headers" jsonb not null default '{}'::jsonb,
  "enabled" boolean not null default true,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "agent_mcp_servers_pkey" primary key ("id"),
  constraint "agent_mcp_servers_agent_id_name_key" unique ("agent_id", "name"),
  constraint "agent_mcp_servers_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "agent_mcp_servers_url_check" check ("url" is null or (char_length("url") >= 1 and char_length("url") <= 2048)),
  constraint "agent_mcp_servers_transport_check" check ("transport" is null or ("transport" in ('http', 'sse', 'stdio'))),
  constraint "agent_mcp_servers_headers_sealed" check (jsonb_typeof(headers) = 'object' and not jsonb_path_exists(headers, 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true))
);
comment on table "ai"."agent_mcp_servers" is 'MCP servers whose tools an agent may call.';
comment on column "ai"."agent_mcp_servers"."headers" is 'Sent with every request to the server (authorization, ...).';
alter table "ai"."agent_mcp_servers" enable row level security;
create policy "Service role has full access" on "ai"."agent_mcp_servers" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."agent_mcp_servers" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."agent_mcp_servers" to "anon";
grant delete, insert, select, update on table "ai"."agent_mcp_servers" to "authenticated";
grant all on table "ai"."agent_mcp_servers" to "service_role";

create table "ai"."agent_sessions" (
  "id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "user_id" uuid not null default auth.uid(),
  "title" text,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "agent_sessions_pkey" primary key ("id")
);
comment on table "ai"."agent_sessions" is 'Conversations with an agent; runs of a conversation point at it.';
comment on column "ai"."agent_sessions"."user_id" is 'Owner. Defaults to the caller; the row is visible to this user only.';
create index "agent_sessions_user_id_created_at_idx" on "ai"."agent_sessions" using btree ("user_id", "created_at" desc);
create index "agent_sessions_agent_id_created_at_idx" on "ai"."agent_sessions" using btree ("agent_id", "created_at" desc);
alter table "ai"."agent_sessions" enable row level security;
create policy "Service role has full access" on "ai"."agent_sessions" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users reach their own rows" on "ai"."agent_sessions" as permissive for all to "authenticated"
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select on table "ai"."agent_sessions" to "anon";
grant delete, insert, select, update on table "ai"."agent_sessions" to "authenticated";
grant all on table "ai"."agent_sessions" to "service_role";

create table "ai"."ai_provider_keys" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "provider" text not null,
  "name" text not null default 'default'::text,
  "encrypted_key" text not null,
  "key_hint" text not null,
  "base_url" text,
  "is_default" boolean not null default false,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "ai_provider_keys_pkey" primary key ("id"),
  constraint "ai_provider_keys_provider_name_key" unique ("provider", "name"),
  constraint "ai_provider_keys_provider_check" check ("provider" is null or ("provider" in ('openai', 'anthropic', 'google', 'azure', 'mistral', 'cohere', 'groq', 'openrouter', 'ollama', 'custom'))),
  constraint "ai_provider_keys_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "ai_provider_keys_key_hint_check" check ("key_hint" is null or (char_length("key_hint") <= 4)),
  constraint "ai_provider_keys_encrypted_key_sealed" check (encrypted_key ~ '^v1:[A-Za-z0-9+/]{38,}={0,2}$')
);
comment on table "ai"."ai_provider_keys" is 'LLM provider API keys. Only service_role may read this table: it holds the secret.';
comment on column "ai"."ai_provider_keys"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
comment on column "ai"."ai_provider_keys"."name" is 'Label, to keep several keys of one provider.';
comment on column "ai"."ai_provider_keys"."encrypted_key" is 'The secret. Never granted to anon or authenticated.';
comment on column "ai"."ai_provider_keys"."key_hint" is 'Last four characters of the key, for display.';
comment on column "ai"."ai_provider_keys"."base_url" is 'Endpoint for self-hosted or proxied providers.';
create index "ai_provider_keys_user_id_idx" on "ai"."ai_provider_keys" using btree ("user_id");
alter table "ai"."ai_provider_keys" enable row level security;
create policy "Service role has full access" on "ai"."ai_provider_keys" as permissive for all to "service_role"
  using (true)
  with check (true);
grant all on table "ai"."ai_provider_keys" to "service_role";

create table "ai"."context_handlers" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "name" text not null,
  "description" text,
  "config" jsonb not null default '{}'::jsonb,
  "max_context_tokens" integer,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "context_handlers_pkey" primary key ("id"),
  constraint "context_handlers_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "context_handlers_max_context_tokens_check" check ("max_context_tokens" is null or ("max_context_tokens" >= 1))
);
comment on table "ai"."context_handlers" is 'Reusable context recipes a run can name instead of ad-hoc retrieval.';
comment on column "ai"."context_handlers"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
comment on column "ai"."context_handlers"."config" is 'Knowledge bases with top_k and filters, static text, ...';
create index "context_handlers_user_id_idx" on "ai"."context_handlers" using btree ("user_id");
alter table "ai"."context_handlers" enable row level security;
create policy "Service role has full access" on "ai"."context_handlers" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."context_handlers" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."context_handlers" to "anon";
grant delete, insert, select, update on table "ai"."context_handlers" to "authenticated";
grant all on table "ai"."context_handlers" to "service_role";

create table "ai"."hooks" (
  "id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "event" text not null,
  "type" text not null,
  "config" jsonb not null default '{}'::jsonb,
  "enabled" boolean not null default true,
  "position" integer not null default 0,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "hooks_pkey" primary key ("id"),
  constraint "hooks_event_check" check ("event" is null or ("event" in ('before_run', 'after_run', 'before_tool_call', 'after_tool_call', 'on_error'))),
  constraint "hooks_type_check" check ("type" is null or ("type" in ('webhook', 'approval'))),
  constraint "hooks_config_headers_sealed" check (config -> 'headers' is null or (jsonb_typeof(config -> 'headers') = 'object' and not jsonb_path_exists(config -> 'headers', 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true)))
);
comment on table "ai"."hooks" is 'Actions around an agent''s runs and tool calls: webhooks, and approvals for human-in-the-loop.';
comment on column "ai"."hooks"."config" is 'webhook: {url, headers}; approval: {tools}.';
comment on column "ai"."hooks"."position" is 'Order among the agent''s hooks for one event.';
create index "hooks_agent_id_event_idx" on "ai"."hooks" using btree ("agent_id", "event");
alter table "ai"."hooks" enable row level security;
create policy "Service role has full access" on "ai"."hooks" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."hooks" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."hooks" to "anon";
grant delete, insert, select, update on table "ai"."hooks" to "authenticated";
grant all on table "ai"."hooks" to "service_role";

create table "ai"."knowledge_bases" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "name" text not null,
  "description" text,
  "strategy" text not null default 'chunks'::text,
  "embedding_model" text not null default 'text-embedding-3-small'::text,
  "embedding_dimensions" integer not null default 1536,
  "chunk_size" integer not null default 1000,
  "chunk_overlap" integer not null default 200,
  "settings" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "knowledge_bases_pkey" primary key ("id"),
  constraint "knowledge_bases_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 200)),
  constraint "knowledge_bases_strategy_check" check ("strategy" is null or ("strategy" in ('chunks', 'page_index', 'full_document', 'doc2json', 'graph_index'))),
  constraint "knowledge_bases_embedding_dimensions_check" check ("embedding_dimensions" is null or ("embedding_dimensions" >= 1 and "embedding_dimensions" <= 16000)),
  constraint "knowledge_bases_chunk_size_check" check ("chunk_size" is null or ("chunk_size" >= 1)),
  constraint "knowledge_bases_chunk_overlap_check" check ("chunk_overlap" is null or ("chunk_overlap" >= 0))
);
comment on table "ai"."knowledge_bases" is 'Named collections of indexed sources that agents search.';
comment on column "ai"."knowledge_bases"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
comment on column "ai"."knowledge_bases"."strategy" is 'Default indexing strategy for new sources.';
comment on column "ai"."knowledge_bases"."chunk_size" is 'Target chunk length in tokens.';
comment on column "ai"."knowledge_bases"."settings" is 'Retrieval defaults: top_k, similarity_threshold, retrieval_method (vector, keyword, hybrid).';
create index "knowledge_bases_user_id_idx" on "ai"."knowledge_bases" using btree ("user_id");
alter table "ai"."knowledge_bases" enable row level security;
create policy "Service role has full access" on "ai"."knowledge_bases" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."knowledge_bases" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."knowledge_bases" to "anon";
grant delete, insert, select, update on table "ai"."knowledge_bases" to "authenticated";
grant all on table "ai"."knowledge_bases" to "service_role";

create table "ai"."agent_knowledge_bases" (
  "id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "knowledge_base_id" uuid not null,
  "top_k" integer not null default 5,
  "similarity_threshold" real,
  "config" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "agent_knowledge_bases_pkey" primary key ("id"),
  constraint "agent_knowledge_bases_agent_id_knowledge_base_id_key" unique ("agent_id", "knowledge_base_id"),
  constraint "agent_knowledge_bases_top_k_check" check ("top_k" is null or ("top_k" >= 1 and "top_k" <= 100)),
  constraint "agent_knowledge_bases_similarity_threshold_check" check ("similarity_threshold" is null or ("similarity_threshold" >= 0 and "similarity_threshold" <= 1))
);
comment on table "ai"."agent_knowledge_bases" is 'Knowledge bases an agent searches; each gives the agent a search tool.';
comment on column "ai"."agent_knowledge_bases"."config" is 'Retrieval method and metadata filters.';
create index "agent_knowledge_bases_knowledge_base_id_idx" on "ai"."agent_knowledge_bases" using btree ("knowledge_base_id");
alter table "ai"."agent_knowledge_bases" enable row level security;
create policy "Service role has full access" on "ai"."agent_knowledge_bases" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."agent_knowledge_bases" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."agent_knowledge_bases" to "anon";
grant delete, insert, select, update on table "ai"."agent_knowledge_bases" to "authenticated";
grant all on table "ai"."agent_knowledge_bases" to "service_role";

create table "ai"."enrichment_configs" (
  "id" uuid not null default gen_random_uuid(),
  "knowledge_base_id" uuid not null,
  "name" text not null,
  "type" text not null,
  "enabled" boolean not null default true,
  "model" text,
  "prompt" text,
  "config" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "enrichment_configs_pkey" primary key ("id"),
  constraint "enrichment_configs_knowledge_base_id_name_key" unique ("knowledge_base_id", "name"),
  constraint "enrichment_configs_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "enrichment_configs_type_check" check ("type" is null or ("type" in ('summary', 'keywords', 'questions', 'entities', 'custom')))
);
comment on table "ai"."enrichment_configs" is 'Steps run over each chunk while indexing (summaries, keywords, questions, entities).';
comment on column "ai"."enrichment_configs"."model" is 'LLM used; the knowledge base''s default when empty.';
comment on column "ai"."enrichment_configs"."prompt" is 'Instruction for custom enrichments.';
alter table "ai"."enrichment_configs" enable row level security;
create policy "Service role has full access" on "ai"."enrichment_configs" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."enrichment_configs" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."enrichment_configs" to "anon";
grant delete, insert, select, update on table "ai"."enrichment_configs" to "authenticated";
grant all on table "ai"."enrichment_configs" to "service_role";

create table "ai"."orchestrations" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "name" text not null,
  "description" text,
  "strategy" text not null default 'supervisor'::text,
  "config" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "orchestrations_pkey" primary key ("id"),
  constraint "orchestrations_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "orchestrations_strategy_check" check ("strategy" is null or ("strategy" in ('supervisor', 'sequential', 'parallel', 'router')))
);
comment on table "ai"."orchestrations" is 'Several agents or workflows working on one task under a strategy.';
comment on column "ai"."orchestrations"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
create index "orchestrations_user_id_idx" on "ai"."orchestrations" using btree ("user_id");
alter table "ai"."orchestrations" enable row level security;
create policy "Service role has full access" on "ai"."orchestrations" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."orchestrations" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."orchestrations" to "anon";
grant delete, insert, select, update on table "ai"."orchestrations" to "authenticated";
grant all on table "ai"."orchestrations" to "service_role";

create table "ai"."orchestration_sessions" (
  "id" uuid not null default gen_random_uuid(),
  "orchestration_id" uuid not null,
  "user_id" uuid not null default auth.uid(),
  "title" text,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "orchestration_sessions_pkey" primary key ("id")
);
comment on table "ai"."orchestration_sessions" is 'Conversations with an orchestration.';
comment on column "ai"."orchestration_sessions"."user_id" is 'Owner. Defaults to the caller; the row is visible to this user only.';
create index "orchestration_sessions_user_id_created_at_idx" on "ai"."orchestration_sessions" using btree ("user_id", "created_at" desc);
create index "orchestration_sessions_orchestration_id_idx" on "ai"."orchestration_sessions" using btree ("orchestration_id");
alter table "ai"."orchestration_sessions" enable row level security;
create policy "Service role has full access" on "ai"."orchestration_sessions" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users reach their own rows" on "ai"."orchestration_sessions" as permissive for all to "authenticated"
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select on table "ai"."orchestration_sessions" to "anon";
grant delete, insert, select, update on table "ai"."orchestration_sessions" to "authenticated";
grant all on table "ai"."orchestration_sessions" to "service_role";

create table "ai"."orchestration_runs" (
  "id" uuid not null default gen_random_uuid(),
  "orchestration_id" uuid not null,
  "session_id" uuid,
  "user_id" uuid default auth.uid(),
  "status" text not null default 'pending'::text,
  "input" jsonb not null default '{}'::jsonb,
  "output" jsonb default '{}'::jsonb,
  "usage" jsonb not null default '{}'::jsonb,
  "error" text,
  "started_at" timestamptz,
  "completed_at" timestamptz,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "orchestration_runs_pkey" primary key ("id"),
  constraint "orchestration_runs_status_check" check ("status" is null or ("status" in ('pending', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled')))
);
comment on table "ai"."orchestration_runs" is 'One execution of an orchestration; the agent runs it delegates point at it.';
comment on column "ai"."orchestration_runs"."user_id" is 'Who started the run (the caller by default).';
comment on column "ai"."orchestration_runs"."usage" is 'Token counts summed over the delegated runs.';
create index "orchestration_runs_orchestration_id_created_at_idx" on "ai"."orchestration_runs" using btree ("orchestration_id", "created_at" desc);
create index "orchestration_runs_user_id_created_at_idx" on "ai"."orchestration_runs" using btree ("user_id", "created_at" desc);
create index "orchestration_runs_session_id_idx" on "ai"."orchestration_runs" using btree ("session_id");
alter table "ai"."orchestration_runs" enable row level security;
create policy "Service role has full access" on "ai"."orchestration_runs" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users reach their own rows" on "ai"."orchestration_runs" as permissive for all to "authenticated"
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select on table "ai"."orchestration_runs" to "anon";
grant delete, insert, select, update on table "ai"."orchestration_runs" to "authenticated";
grant all on table "ai"."orchestration_runs" to "service_role";

create table "ai"."sources" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "name" text not null,
  "type" text not null default 'file'::text,
  "uri" text,
  "mime_type" text,
  "size_bytes" bigint,
  "content_hash" text,
  "tags" text[] not null default array[]::text[],
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "sources_pkey" primary key ("id"),
  constraint "sources_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 200)),
  constraint "sources_type_check" check ("type" is null or ("type" in ('file', 'url', 'text', 'database', 'api'))),
  constraint "sources_size_bytes_check" check ("size_bytes" is null or ("size_bytes" >= 0))
);
comment on table "ai"."sources" is 'Documents and other inputs that knowledge bases index. Metadata only here; the bytes live in storage.';
comment on column "ai"."sources"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
comment on column "ai"."sources"."type" is 'Where the content comes from.';
comment on column "ai"."sources"."uri" is 'Storage path or URL of the content.';
comment on column "ai"."sources"."content_hash" is 'Hash of the content, to skip re-indexing unchanged sources.';
comment on column "ai"."sources"."tags" is 'Free labels; bulk-tag with PATCH and a filter.';
comment on column "ai"."sources"."metadata" is 'Anything the uploader wants to keep with the source.';
create index "sources_user_id_idx" on "ai"."sources" using btree ("user_id");
create index "sources_tags_idx" on "ai"."sources" using gin ("tags");
create index "sources_created_at_idx" on "ai"."sources" using btree ("created_at" desc);
alter table "ai"."sources" enable row level security;
create policy "Service role has full access" on "ai"."sources" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."sources" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."sources" to "anon";
grant delete, insert, select, update on table "ai"."sources" to "authenticated";
grant all on table "ai"."sources" to "service_role";

create table "ai"."indexed_sources" (
  "id" uuid not null default gen_random_uuid(),
  "knowledge_base_id" uuid not null,
  "source_id" uuid not null,
  "strategy" text not null default 'chunks'::text,
  "status" text not null default 'pending'::text,
  "task_id" text,
  "progress" integer not null default 0,
  "item_count" integer not null default 0,
  "error" text,
  "metadata" jsonb not null default '{}'::jsonb,
  "started_at" timestamptz,
  "completed_at" timestamptz,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "indexed_sources_pkey" primary key ("id"),
  constraint "indexed_sources_knowledge_base_id_source_id_strategy_key" unique ("knowledge_base_id", "source_id", "strategy"),
  constraint "indexed_sources_strategy_check" check ("strategy" is null or ("strategy" in ('chunks', 'page_index', 'full_document', 'doc2json', 'graph_index'))),
  constraint "indexed_sources_status_check" check ("status" is null or ("status" in ('pending', 'processing', 'completed', 'failed', 'cancelled'))),
  constraint "indexed_sources_progress_check" check ("progress" is null or ("progress" >= 0 and "progress" <= 100)),
  constraint "indexed_sources_item_count_check" check ("item_count" is null or ("item_count" >= 0))
);
comment on table "ai"."indexed_sources" is 'One source indexed into one knowledge base with one strategy. Written by the indexing pipeline.';
comment on column "ai"."indexed_sources"."strategy" is 'Which item tables hold the result.';
comment on column "ai"."indexed_sources"."task_id" is 'Background task doing the indexing, so that it can be cancelled.';
comment on column "ai"."indexed_sources"."progress" is 'Percent done.';
comment on column "ai"."indexed_sources"."item_count" is 'Chunks, nodes or documents produced.';
create index "indexed_sources_source_id_idx" on "ai"."indexed_sources" using btree ("source_id");
create index "indexed_sources_status_idx" on "ai"."indexed_sources" using btree ("status");
alter table "ai"."indexed_sources" enable row level security;
create policy "Service role has full access" on "ai"."indexed_sources" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."indexed_sources" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."indexed_sources" to "anon";
grant select on table "ai"."indexed_sources" to "authenticated";
grant all on table "ai"."indexed_sources" to "service_role";

create table "ai"."chunks" (
  "id" uuid not null default gen_random_uuid(),
  "knowledge_base_id" uuid not null,
  "indexed_source_id" uuid not null,
  "chunk_index" integer not null,
  "content" text not null,
  "token_count" integer,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "fts" tsvector generated always as (to_tsvector('english'::regconfig, content)) stored not null,
  constraint "chunks_pkey" primary key ("id"),
  constraint "chunks_indexed_source_id_chunk_index_key" unique ("indexed_source_id", "chunk_index"),
  constraint "chunks_chunk_index_check" check ("chunk_index" is null or ("chunk_index" >= 0)),
  constraint "chunks_token_count_check" check ("token_count" is null or ("token_count" >= 0))
);
comment on table "ai"."chunks" is 'Text pieces of an indexed source, in order. Written by the indexing pipeline.';
comment on column "ai"."chunks"."chunk_index" is 'Position within the source.';
comment on column "ai"."chunks"."metadata" is 'Page, heading, enrichment output; filterable with JSON paths.';
comment on column "ai"."chunks"."fts" is 'Full-text search document of the content, kept by the database; filter with fts=wfts(english).<query>.';
create index "chunks_knowledge_base_id_idx" on "ai"."chunks" using btree ("knowledge_base_id");
create index "chunks_fts_idx" on "ai"."chunks" using gin ("fts");
alter table "ai"."chunks" enable row level security;
create policy "Service role has full access" on "ai"."chunks" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."chunks" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."chunks" to "anon";
grant select on table "ai"."chunks" to "authenticated";
grant all on table "ai"."chunks" to "service_role";

create table "ai"."doc2json_documents" (
  "id" uuid not null default gen_random_uuid(),
  "indexed_source_id" uuid not null,
  "knowledge_base_id" uuid not null,
  "document" jsonb not null default '{}'::jsonb,
  "schema_version" text,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "doc2json_documents_pkey" primary key ("id"),
  constraint "doc2json_documents_indexed_source_id_key" unique ("indexed_source_id")
);
comment on table "ai"."doc2json_documents" is 'Documents converted to structured JSON (the doc2json strategy).';
comment on column "ai"."doc2json_documents"."document" is 'The extracted structure.';
comment on column "ai"."doc2json_documents"."schema_version" is 'Version of the converter''s output format.';
create index "doc2json_documents_knowledge_base_id_idx" on "ai"."doc2json_documents" using btree ("knowledge_base_id");
alter table "ai"."doc2json_documents" enable row level security;
create policy "Service role has full access" on "ai"."doc2json_documents" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."doc2json_documents" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."doc2json_documents" to "anon";
grant select on table "ai"."doc2json_documents" to "authenticated";
grant all on table "ai"."doc2json_documents" to "service_role";

create table "ai"."embeddings" (
  "id" uuid not null default gen_random_uuid(),
  "chunk_id" uuid not null,
  "knowledge_base_id" uuid not null,
  "model" text not null,
  "dimensions" integer not null,
  "embedding" vector(1536) not null,
  "created_at" timestamptz not null default now(),
  constraint "embeddings_pkey" primary key ("id"),
  constraint "embeddings_chunk_id_model_key" unique ("chunk_id", "model"),
  constraint "embeddings_dimensions_check" check ("dimensions" is null or ("dimensions" >= 1))
);
comment on table "ai"."embeddings" is 'One vector per chunk and embedding model. Kept apart from chunks so that a knowledge base can be re-embedded with another model.';
comment on column "ai"."embeddings"."knowledge_base_id" is 'Copied from the chunk so that searches filter without a join.';
comment on column "ai"."embeddings"."embedding" is 'The vector (pgvector). Written as a JSON array of 1536 numbers; read back in pgvector''s text form.';
create index "embeddings_knowledge_base_id_model_idx" on "ai"."embeddings" using btree ("knowledge_base_id", "model");
create index "embeddings_embedding_idx" on "ai"."embeddings" using hnsw ("embedding" "vector_cosine_ops");
alter table "ai"."embeddings" enable row level security;
create policy "Service role has full access" on "ai"."embeddings" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."embeddings" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."embeddings" to "anon";
grant select on table "ai"."embeddings" to "authenticated";
grant all on table "ai"."embeddings" to "service_role";

create table "ai"."full_documents" (
  "id" uuid not null default gen_random_uuid(),
  "indexed_source_id" uuid not null,
  "knowledge_base_id" uuid not null,
  "content" text not null,
  "summary" text,
  "token_count" integer,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "full_documents_pkey" primary key ("id"),
  constraint "full_documents_indexed_source_id_key" unique ("indexed_source_id"),
  constraint "full_documents_token_count_check" check ("token_count" is null or ("token_count" >= 0))
);
comment on table "ai"."full_documents" is 'Whole documents kept in one piece (the full-document strategy), for small sources and long-context models.';
create index "full_documents_knowledge_base_id_idx" on "ai"."full_documents" using btree ("knowledge_base_id");
alter table "ai"."full_documents" enable row level security;
create policy "Service role has full access" on "ai"."full_documents" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."full_documents" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."full_documents" to "anon";
grant select on table "ai"."full_documents" to "authenticated";
grant all on table "ai"."full_documents" to "service_role";

create table "ai"."graph_index_toc" (
  "id" uuid not null default gen_random_uuid(),
  "indexed_source_id" uuid not null,
  "knowledge_base_id" uuid not null,
  "summary" text,
  "node_count" integer not null default 0,
  "edge_count" integer not null default 0,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "graph_index_toc_pkey" primary key ("id"),
  constraint "graph_index_toc_indexed_source_id_key" unique ("indexed_source_id"),
  constraint "graph_index_toc_node_count_check" check ("node_count" is null or ("node_count" >= 0)),
  constraint "graph_index_toc_edge_count_check" check ("edge_count" is null or ("edge_count" >= 0))
);
comment on table "ai"."graph_index_toc" is 'Summary of the entity graph extracted from one source (the graph-index strategy).';
create index "graph_index_toc_knowledge_base_id_idx" on "ai"."graph_index_toc" using btree ("knowledge_base_id");
alter table "ai"."graph_index_toc" enable row level security;
create policy "Service role has full access" on "ai"."graph_index_toc" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."graph_index_toc" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."graph_index_toc" to "anon";
grant select on table "ai"."graph_index_toc" to "authenticated";
grant all on table "ai"."graph_index_toc" to "service_role";

create table "ai"."graph_index_nodes" (
  "id" uuid not null default gen_random_uuid(),
  "toc_id" uuid not null,
  "name" text not null,
  "kind" text,
  "description" text,
  "properties" jsonb not null default '{}'::jsonb,
  "edges" jsonb not null default '[]'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "graph_index_nodes_pkey" primary key ("id")
);
comment on table "ai"."graph_index_nodes" is 'Entities of a graph index, with their outgoing relations.';
comment on column "ai"."graph_index_nodes"."kind" is 'Entity type (person, product, ...).';
comment on column "ai"."graph_index_nodes"."edges" is 'Outgoing relations: [{target, relation, weight}], target being a node id.';
create index "graph_index_nodes_toc_id_name_idx" on "ai"."graph_index_nodes" using btree ("toc_id", "name");
alter table "ai"."graph_index_nodes" enable row level security;
create policy "Service role has full access" on "ai"."graph_index_nodes" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."graph_index_nodes" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."graph_index_nodes" to "anon";
grant select on table "ai"."graph_index_nodes" to "authenticated";
grant all on table "ai"."graph_index_nodes" to "service_role";

create table "ai"."page_index_toc" (
  "id" uuid not null default gen_random_uuid(),
  "indexed_source_id" uuid not null,
  "knowledge_base_id" uuid not null,
  "toc" jsonb not null default '[]'::jsonb,
  "page_count" integer,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "page_index_toc_pkey" primary key ("id"),
  constraint "page_index_toc_indexed_source_id_key" unique ("indexed_source_id"),
  constraint "page_index_toc_page_count_check" check ("page_count" is null or ("page_count" >= 0))
);
comment on table "ai"."page_index_toc" is 'Table of contents of a document indexed with the page-index strategy.';
comment on column "ai"."page_index_toc"."toc" is 'The outline as the model built it.';
create index "page_index_toc_knowledge_base_id_idx" on "ai"."page_index_toc" using btree ("knowledge_base_id");
alter table "ai"."page_index_toc" enable row level security;
create policy "Service role has full access" on "ai"."page_index_toc" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."page_index_toc" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."page_index_toc" to "anon";
grant select on table "ai"."page_index_toc" to "authenticated";
grant all on table "ai"."page_index_toc" to "service_role";

create table "ai"."page_index_nodes" (
  "id" uuid not null default gen_random_uuid(),
  "toc_id" uuid not null,
  "parent_id" uuid,
  "title" text not null,
  "summary" text,
  "content" text,
  "page_start" integer,
  "page_end" integer,
  "depth" integer not null default 0,
  "position" integer not null default 0,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "page_index_nodes_pkey" primary key ("id"),
  constraint "page_index_nodes_page_start_check" check ("page_start" is null or ("page_start" >= 1)),
  constraint "page_index_nodes_page_end_check" check ("page_end" is null or ("page_end" >= 1)),
  constraint "page_index_nodes_depth_check" check ("depth" is null or ("depth" >= 0))
);
comment on table "ai"."page_index_nodes" is 'Sections of a page-index outline; a node''s children point at it through parent_id.';
comment on column "ai"."page_index_nodes"."parent_id" is 'Enclosing section; null at the top.';
comment on column "ai"."page_index_nodes"."position" is 'Order among siblings.';
create index "page_index_nodes_toc_id_idx" on "ai"."page_index_nodes" using btree ("toc_id");
create index "page_index_nodes_parent_id_idx" on "ai"."page_index_nodes" using btree ("parent_id");
alter table "ai"."page_index_nodes" enable row level security;
create policy "Service role has full access" on "ai"."page_index_nodes" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."page_index_nodes" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."page_index_nodes" to "anon";
grant select on table "ai"."page_index_nodes" to "authenticated";
grant all on table "ai"."page_index_nodes" to "service_role";

create table "ai"."tools" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "name" text not null,
  "description" text,
  "type" text not null default 'custom'::text,
  "input_schema" jsonb not null default '{}'::jsonb,
  "config" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "tools_pkey" primary key ("id"),
  constraint "tools_name_key" unique ("name"),
  constraint "tools_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "tools_type_check" check ("type" is null or ("type" in ('builtin', 'custom', 'mcp'))),
  constraint "tools_config_headers_sealed" check (config -> 'headers' is null or (jsonb_typeof(config -> 'headers') = 'object' and not jsonb_path_exists(config -> 'headers', 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true)))
);
comment on table "ai"."tools" is 'Tools agents can call: builtin ones, custom HTTP tools, and tools of MCP servers.';
comment on column "ai"."tools"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
comment on column "ai"."tools"."description" is 'Told to the model.';
comment on column "ai"."tools"."input_schema" is 'JSON Schema of the arguments.';
comment on column "ai"."tools"."config" is 'Custom tools: endpoint, method, headers.';
create index "tools_user_id_idx" on "ai"."tools" using btree ("user_id");
alter table "ai"."tools" enable row level security;
create policy "Service role has full access" on "ai"."tools" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."tools" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."tools" to "anon";
grant delete, insert, select, update on table "ai"."tools" to "authenticated";
grant all on table "ai"."tools" to "service_role";

create table "ai"."agent_tools" (
  "id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "tool_id" uuid not null,
  "enabled" boolean not null default true,
  "config_override" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "agent_tools_pkey" primary key ("id"),
  constraint "agent_tools_agent_id_tool_id_key" unique ("agent_id", "tool_id")
);
comment on table "ai"."agent_tools" is 'Tools assigned to an agent, with per-assignment overrides.';
comment on column "ai"."agent_tools"."config_override" is 'Database tools: {schemas: {schema: [table, ...]}}; other builtin tools: values forced into every call.';
create index "agent_tools_tool_id_idx" on "ai"."agent_tools" using btree ("tool_id");
alter table "ai"."agent_tools" enable row level security;
create policy "Service role has full access" on "ai"."agent_tools" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."agent_tools" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."agent_tools" to "anon";
grant delete, insert, select, update on table "ai"."agent_tools" to "authenticated";
grant all on table "ai"."agent_tools" to "service_role";

create table "ai"."workflows" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid default auth.uid(),
  "name" text not null,
  "description" text,
  "status" text not null default 'draft'::text,
  "variables" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "workflows_pkey" primary key ("id"),
  constraint "workflows_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "workflows_status_check" check ("status" is null or ("status" in ('draft', 'published', 'archived')))
);
comment on table "ai"."workflows" is 'Graphs of blocks (agents, tools, conditions, ...) run as one process.';
comment on column "ai"."workflows"."user_id" is 'Who created it (the caller by default). The default posture does not filter on it; the strict one does.';
comment on column "ai"."workflows"."variables" is 'Inputs and their defaults.';
create index "workflows_user_id_idx" on "ai"."workflows" using btree ("user_id");
alter table "ai"."workflows" enable row level security;
create policy "Service role has full access" on "ai"."workflows" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."workflows" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."workflows" to "anon";
grant delete, insert, select, update on table "ai"."workflows" to "authenticated";
grant all on table "ai"."workflows" to "service_role";

create table "ai"."copilot_sessions" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid not null default auth.uid(),
  "workflow_id" uuid,
  "title" text,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "copilot_sessions_pkey" primary key ("id")
);
comment on table "ai"."copilot_sessions" is 'Conversations with the builder copilot.';
comment on column "ai"."copilot_sessions"."user_id" is 'Who the conversation is with.';
comment on column "ai"."copilot_sessions"."workflow_id" is 'The workflow being edited, if any.';
create index "copilot_sessions_user_id_created_at_idx" on "ai"."copilot_sessions" using btree ("user_id", "created_at" desc);
create index "copilot_sessions_workflow_id_idx" on "ai"."copilot_sessions" using btree ("workflow_id");
alter table "ai"."copilot_sessions" enable row level security;
create policy "Service role has full access" on "ai"."copilot_sessions" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."copilot_sessions" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."copilot_sessions" to "anon";
grant select on table "ai"."copilot_sessions" to "authenticated";
grant all on table "ai"."copilot_sessions" to "service_role";

create table "ai"."copilot_messages" (
  "id" uuid not null default gen_random_uuid(),
  "session_id" uuid not null,
  "role" text not null,
  "content" text not null default ''::text,
  "tool_calls" jsonb not null default '[]'::jsonb,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "copilot_messages_pkey" primary key ("id"),
  constraint "copilot_messages_role_check" check ("role" is null or ("role" in ('user', 'assistant', 'system', 'tool')))
);
comment on table "ai"."copilot_messages" is 'Messages of a copilot conversation.';
create index "copilot_messages_session_id_created_at_idx" on "ai"."copilot_messages" using btree ("session_id", "created_at");
alter table "ai"."copilot_messages" enable row level security;
create policy "Service role has full access" on "ai"."copilot_messages" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."copilot_messages" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."copilot_messages" to "anon";
grant select on table "ai"."copilot_messages" to "authenticated";
grant all on table "ai"."copilot_messages" to "service_role";

create table "ai"."orchestration_entities" (
  "id" uuid not null default gen_random_uuid(),
  "orchestration_id" uuid not null,
  "entity_type" text not null,
  "agent_id" uuid,
  "workflow_id" uuid,
  "role" text,
  "position" integer not null default 0,
  "config" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "orchestration_entities_pkey" primary key ("id"),
  constraint "orchestration_entities_entity_type_check" check ("entity_type" is null or ("entity_type" in ('agent', 'workflow'))),
  constraint "orchestration_entities_one_target" check ((entity_type = 'agent' and agent_id is not null and workflow_id is null) or (entity_type = 'workflow' and workflow_id is not null and agent_id is null))
);
comment on table "ai"."orchestration_entities" is 'Members of an orchestration: an agent or a workflow, with its role.';
comment on column "ai"."orchestration_entities"."role" is 'What the member is for, told to the supervisor.';
create index "orchestration_entities_orchestration_id_idx" on "ai"."orchestration_entities" using btree ("orchestration_id");
create index "orchestration_entities_agent_id_idx" on "ai"."orchestration_entities" using btree ("agent_id");
create index "orchestration_entities_workflow_id_idx" on "ai"."orchestration_entities" using btree ("workflow_id");
alter table "ai"."orchestration_entities" enable row level security;
create policy "Service role has full access" on "ai"."orchestration_entities" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."orchestration_entities" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."orchestration_entities" to "anon";
grant delete, insert, select, update on table "ai"."orchestration_entities" to "authenticated";
grant all on table "ai"."orchestration_entities" to "service_role";

create table "ai"."workflow_blocks" (
  "id" uuid not null default gen_random_uuid(),
  "workflow_id" uuid not null,
  "name" text not null,
  "type" text not null,
  "config" jsonb not null default '{}'::jsonb,
  "position" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "workflow_blocks_pkey" primary key ("id"),
  constraint "workflow_blocks_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100))
);
comment on table "ai"."workflow_blocks" is 'Nodes of a workflow.';
comment on column "ai"."workflow_blocks"."type" is 'Block kind: start, agent, tool, condition, loop, http, code, end, ... (open-ended, so no enum).';
comment on column "ai"."workflow_blocks"."position" is 'Editor coordinates {x, y}.';
create index "workflow_blocks_workflow_id_idx" on "ai"."workflow_blocks" using btree ("workflow_id");
alter table "ai"."workflow_blocks" enable row level security;
create policy "Service role has full access" on "ai"."workflow_blocks" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."workflow_blocks" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."workflow_blocks" to "anon";
grant delete, insert, select, update on table "ai"."workflow_blocks" to "authenticated";
grant all on table "ai"."workflow_blocks" to "service_role";

create table "ai"."workflow_edges" (
  "id" uuid not null default gen_random_uuid(),
  "workflow_id" uuid not null,
  "source_block_id" uuid not null,
  "target_block_id" uuid not null,
  "source_handle" text,
  "target_handle" text,
  "condition" jsonb default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "workflow_edges_pkey" primary key ("id")
);
comment on table "ai"."workflow_edges" is 'Connections between blocks of one workflow.';
comment on column "ai"."workflow_edges"."source_handle" is 'Which output of the source (a condition''s branch, ...).';
create index "workflow_edges_workflow_id_idx" on "ai"."workflow_edges" using btree ("workflow_id");
create index "workflow_edges_source_block_id_idx" on "ai"."workflow_edges" using btree ("source_block_id");
create index "workflow_edges_target_block_id_idx" on "ai"."workflow_edges" using btree ("target_block_id");
alter table "ai"."workflow_edges" enable row level security;
create policy "Service role has full access" on "ai"."workflow_edges" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users manage configuration" on "ai"."workflow_edges" as permissive for all to "authenticated"
  using (true)
  with check (true);
grant select on table "ai"."workflow_edges" to "anon";
grant delete, insert, select, update on table "ai"."workflow_edges" to "authenticated";
grant all on table "ai"."workflow_edges" to "service_role";

create table "ai"."workflow_executions" (
  "id" uuid not null default gen_random_uuid(),
  "workflow_id" uuid not null,
  "user_id" uuid default auth.uid(),
  "status" text not null default 'pending'::text,
  "trigger" text not null default 'manual'::text,
  "input" jsonb not null default '{}'::jsonb,
  "output" jsonb default '{}'::jsonb,
  "error" text,
  "started_at" timestamptz,
  "completed_at" timestamptz,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "workflow_executions_pkey" primary key ("id"),
  constraint "workflow_executions_status_check" check ("status" is null or ("status" in ('pending', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled'))),
  constraint "workflow_executions_trigger_check" check ("trigger" is null or ("trigger" in ('manual', 'api', 'schedule', 'webhook', 'orchestration')))
);
comment on table "ai"."workflow_executions" is 'One run of a workflow. Written by the workflow engine.';
comment on column "ai"."workflow_executions"."user_id" is 'Who started it.';
create index "workflow_executions_workflow_id_created_at_idx" on "ai"."workflow_executions" using btree ("workflow_id", "created_at" desc);
create index "workflow_executions_user_id_idx" on "ai"."workflow_executions" using btree ("user_id");
alter table "ai"."workflow_executions" enable row level security;
create policy "Service role has full access" on "ai"."workflow_executions" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."workflow_executions" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."workflow_executions" to "anon";
grant select on table "ai"."workflow_executions" to "authenticated";
grant all on table "ai"."workflow_executions" to "service_role";

create table "ai"."agent_runs" (
  "id" uuid not null default gen_random_uuid(),
  "run_id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "session_id" uuid,
  "user_id" uuid default auth.uid(),
  "parent_orchestration_run_id" uuid,
  "parent_workflow_execution_id" uuid,
  "status" text not null default 'pending'::text,
  "input_messages" jsonb not null default '[]'::jsonb,
  "output_messages" jsonb not null default '[]'::jsonb,
  "content" text,
  "usage" jsonb not null default '{}'::jsonb,
  "retrieved_context" jsonb not null default '[]'::jsonb,
  "error" text,
  "started_at" timestamptz,
  "completed_at" timestamptz,
  "steps" jsonb not null default '[]'::jsonb,
  "events" jsonb not null default '[]'::jsonb,
  "tool_calls" jsonb not null default '[]'::jsonb,
  "reasoning_steps" jsonb not null default '[]'::jsonb,
  "created_at" timestamptz not null default now(),
  "updated_at" timestamptz not null default now(),
  constraint "agent_runs_pkey" primary key ("id"),
  constraint "agent_runs_run_id_key" unique ("run_id"),
  constraint "agent_runs_status_check" check ("status" is null or ("status" in ('pending', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled')))
);
comment on table "ai"."agent_runs" is 'One execution of an agent, with everything the run lookup returns.';
comment on column "ai"."agent_runs"."run_id" is 'Public id of the run, used by the run lookup and approvals.';
comment on column "ai"."agent_runs"."session_id" is 'Null for delegated and workflow-block runs.';
comment on column "ai"."agent_runs"."user_id" is 'Who started the run (the caller by default); null for runs the platform starts on nobody''s behalf.';
comment on column "ai"."agent_runs"."parent_orchestration_run_id" is 'Set when an orchestration delegated this run.';
comment on column "ai"."agent_runs"."parent_workflow_execution_id" is 'Set when a workflow block ran the agent.';
comment on column "ai"."agent_runs"."input_messages" is 'Messages sent to the model.';
comment on column "ai"."agent_runs"."output_messages" is 'Messages the run produced.';
comment on column "ai"."agent_runs"."content" is 'Final answer text.';
comment on column "ai"."agent_runs"."usage" is 'Token counts: prompt_tokens, completion_tokens, total_tokens; and cost.';
comment on column "ai"."agent_runs"."retrieved_context" is 'Knowledge base hits given to the model.';
comment on column "ai"."agent_runs"."steps" is 'ReAct loop steps.';
comment on column "ai"."agent_runs"."events" is 'Streamed events, in order.';
comment on column "ai"."agent_runs"."tool_calls" is 'Tool calls with arguments and results.';
comment on column "ai"."agent_runs"."reasoning_steps" is 'Reasoning output, when requested.';
create index "agent_runs_agent_id_created_at_idx" on "ai"."agent_runs" using btree ("agent_id", "created_at" desc);
create index "agent_runs_user_id_created_at_idx" on "ai"."agent_runs" using btree ("user_id", "created_at" desc);
create index "agent_runs_session_id_idx" on "ai"."agent_runs" using btree ("session_id");
create index "agent_runs_parent_orchestration_run_id_idx" on "ai"."agent_runs" using btree ("parent_orchestration_run_id");
create index "agent_runs_parent_workflow_execution_id_idx" on "ai"."agent_runs" using btree ("parent_workflow_execution_id");
create index "agent_runs_status_idx" on "ai"."agent_runs" using btree ("status");
alter table "ai"."agent_runs" enable row level security;
create policy "Service role has full access" on "ai"."agent_runs" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users reach their own rows" on "ai"."agent_runs" as permissive for all to "authenticated"
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
grant select on table "ai"."agent_runs" to "anon";
grant delete, insert, select, update on table "ai"."agent_runs" to "authenticated";
grant all on table "ai"."agent_runs" to "service_role";

create table "ai"."message_citations" (
  "id" uuid not null default gen_random_uuid(),
  "run_id" uuid not null,
  "chunk_id" uuid,
  "source_id" uuid,
  "citation_index" integer not null,
  "quote" text,
  "score" real,
  "metadata" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "message_citations_pkey" primary key ("id"),
  constraint "message_citations_citation_index_check" check ("citation_index" is null or ("citation_index" >= 1))
);
comment on table "ai"."message_citations" is 'Sources an answer cited ([1]-style references).';
comment on column "ai"."message_citations"."citation_index" is 'The number in the answer''s [n].';
create index "message_citations_run_id_idx" on "ai"."message_citations" using btree ("run_id");
create index "message_citations_chunk_id_idx" on "ai"."message_citations" using btree ("chunk_id");
create index "message_citations_source_id_idx" on "ai"."message_citations" using btree ("source_id");
alter table "ai"."message_citations" enable row level security;
create policy "Service role has full access" on "ai"."message_citations" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."message_citations" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."message_citations" to "anon";
grant select on table "ai"."message_citations" to "authenticated";
grant all on table "ai"."message_citations" to "service_role";

create table "ai"."tool_call_events" (
  "id" uuid not null default gen_random_uuid(),
  "run_id" uuid not null,
  "tool_id" uuid,
  "tool_name" text not null,
  "call_id" text,
  "arguments" jsonb not null default '{}'::jsonb,
  "result" jsonb default '{}'::jsonb,
  "status" text not null default 'pending'::text,
  "error" text,
  "duration_ms" integer,
  "created_at" timestamptz not null default now(),
  constraint "tool_call_events_pkey" primary key ("id"),
  constraint "tool_call_events_status_check" check ("status" is null or ("status" in ('pending', 'awaiting_approval', 'approved', 'denied', 'completed', 'failed'))),
  constraint "tool_call_events_duration_ms_check" check ("duration_ms" is null or ("duration_ms" >= 0))
);
comment on table "ai"."tool_call_events" is 'Each tool call of a run, with its approval state. Written by the agent loop.';
comment on column "ai"."tool_call_events"."tool_name" is 'Kept as called, even if the tool is deleted later.';
comment on column "ai"."tool_call_events"."call_id" is 'The model''s id for the call.';
create index "tool_call_events_run_id_created_at_idx" on "ai"."tool_call_events" using btree ("run_id", "created_at");
create index "tool_call_events_tool_id_idx" on "ai"."tool_call_events" using btree ("tool_id");
alter table "ai"."tool_call_events" enable row level security;
create policy "Service role has full access" on "ai"."tool_call_events" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."tool_call_events" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."tool_call_events" to "anon";
grant select on table "ai"."tool_call_events" to "authenticated";
grant all on table "ai"."tool_call_events" to "service_role";

create table "ai"."workflow_block_logs" (
  "id" uuid not null default gen_random_uuid(),
  "execution_id" uuid not null,
  "block_id" uuid,
  "status" text not null default 'pending'::text,
  "input" jsonb not null default '{}'::jsonb,
  "output" jsonb default '{}'::jsonb,
  "error" text,
  "duration_ms" integer,
  "started_at" timestamptz,
  "completed_at" timestamptz,
  "created_at" timestamptz not null default now(),
  constraint "workflow_block_logs_pkey" primary key ("id"),
  constraint "workflow_block_logs_status_check" check ("status" is null or ("status" in ('pending', 'running', 'completed', 'failed', 'skipped'))),
  constraint "workflow_block_logs_duration_ms_check" check ("duration_ms" is null or ("duration_ms" >= 0))
);
comment on table "ai"."workflow_block_logs" is 'What each block did during an execution.';
comment on column "ai"."workflow_block_logs"."block_id" is 'Null once the block is deleted; the log stays with the execution.';
create index "workflow_block_logs_execution_id_idx" on "ai"."workflow_block_logs" using btree ("execution_id");
create index "workflow_block_logs_block_id_idx" on "ai"."workflow_block_logs" using btree ("block_id");
alter table "ai"."workflow_block_logs" enable row level security;
create policy "Service role has full access" on "ai"."workflow_block_logs" as permissive for all to "service_role"
  using (true)
  with check (true);
create policy "Signed-in users read everything" on "ai"."workflow_block_logs" as permissive for select to "authenticated"
  using (true);
grant select on table "ai"."workflow_block_logs" to "anon";
grant select on table "ai"."workflow_block_logs" to "authenticated";
grant all on table "ai"."workflow_block_logs" to "service_role";

create table "auth"."sessions" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid not null,
  "created_at" timestamptz not null default now(),
  "refreshed_at" timestamptz,
  "user_agent" text,
  "ip" text,
  constraint "sessions_pkey" primary key ("id")
);
comment on table "auth"."sessions" is 'One row per signed-in device; access tokens carry its id as `session_id`.';
create index "sessions_user_id_idx" on "auth"."sessions" using btree ("user_id");
grant delete, insert, select, update on table "auth"."sessions" to "service_role";

create table "auth"."refresh_tokens" (
  "id" uuid not null default gen_random_uuid(),
  "token_hash" text not null,
  "session_id" uuid not null,
  "user_id" uuid not null,
  "revoked" boolean not null default false,
  "created_at" timestamptz not null default now(),
  constraint "refresh_tokens_pkey" primary key ("id"),
  constraint "refresh_tokens_token_hash_key" unique ("token_hash")
);
comment on table "auth"."refresh_tokens" is 'Refresh tokens, stored as SHA-256 hashes. Each is used once: refreshing revokes it and
issues the next; presenting a revoked one revokes the whole session.';
create index "refresh_tokens_session_id_idx" on "auth"."refresh_tokens" using btree ("session_id");
grant delete, insert, select, update on table "auth"."refresh_tokens" to "service_role";

create table "public"."agents" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid not null default auth.uid(),
  "name" text not null,
  "role" text,
  "avatar" text,
  "framework" text not null default 'openai'::text,
  "model" text,
  "system_prompt" text,
  "settings" jsonb default '{}'::jsonb,
  "status" text default 'idle'::text,
  "created_at" timestamptz default now(),
  "updated_at" timestamptz default now(),
  constraint "agents_pkey" primary key ("id"),
  constraint "agents_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "agents_framework_check" check ("framework" is null or ("framework" in ('openai', 'anthropic', 'google'))),
  constraint "agents_settings_check" check ("settings" is null or ((jsonb_typeof("settings") = 'object' and case when not ("settings" ? 'frequency_penalty') then true when jsonb_typeof(("settings" -> 'frequency_penalty')) = 'null' then false when jsonb_typeof(("settings" -> 'frequency_penalty')) = 'number' then ("settings" -> 'frequency_penalty')::numeric >= -2 and ("settings" -> 'frequency_penalty')::numeric <= 2 else false end and case when not ("settings" ? 'max_tokens') then true when jsonb_typeof(("settings" -> 'max_tokens')) = 'null' then false when jsonb_typeof(("settings" -> 'max_tokens')) = 'number' then ("settings" -> 'max_tokens')::numeric = trunc(("settings" -> 'max_tokens')::numeric) and ("settings" -> 'max_tokens')::numeric >= 1 else false end and case when not ("settings" ? 'presence_penalty') then true when jsonb_typeof(("settings" -> 'presence_penalty')) = 'null' then false when jsonb_typeof(("settings" -> 'presence_penalty')) = 'number' then ("settings" -> 'presence_penalty')::numeric >= -2 and ("settings" -> 'presence_penalty')::numeric <= 2 else false end and case when not ("settings" ? 'stop') then true when jsonb_typeof(("settings" -> 'stop')) = 'null' then true when jsonb_typeof(("settings" -> 'stop')) = 'array' then not jsonb_path_exists(("settings" -> 'stop'), '$[*] ? (@.type() != "string")') else false end and case when not ("settings" ? 'temperature') then true when jsonb_typeof(("settings" -> 'temperature')) = 'null' then false when jsonb_typeof(("settings" -> 'temperature')) = 'number' then ("settings" -> 'temperature')::numeric >= 0 and ("settings" -> 'temperature')::numeric <= 2 else false end and case when not ("settings" ? 'top_p') then true when jsonb_typeof(("settings" -> 'top_p')) = 'null' then false when jsonb_typeof(("settings" -> 'top_p')) = 'number' then ("settings" -> 'top_p')::numeric >= 0 and ("settings" -> 'top_p')::numeric <= 1 else false end))),
  constraint "agents_status_check" check ("status" is null or ("status" in ('idle', 'thinking', 'responding', 'error')))
);
comment on table "public"."agents" is 'AI agents, each owned by one user.';
comment on column "public"."agents"."user_id" is 'Owner. Defaults to the caller.';
comment on column "public"."agents"."name" is 'Display name.';
comment on column "public"."agents"."role" is 'Role or title.';
comment on column "public"."agents"."avatar" is 'Avatar URL.';
comment on column "public"."agents"."framework" is 'AI provider.';
comment on column "public"."agents"."model" is 'Model id; the provider''s default when empty.';
comment on column "public"."agents"."settings" is 'Model settings.';
create index "agents_user_id_created_at_idx" on "public"."agents" using btree ("user_id", "created_at" desc);
alter table "public"."agents" enable row level security;
create policy "Users can view own agents" on "public"."agents" as permissive for select to "authenticated"
  using ((select auth.uid()) = user_id);
create policy "Users can create own agents" on "public"."agents" as permissive for insert to "authenticated"
  with check ((select auth.uid()) = user_id);
create policy "Users can update own agents" on "public"."agents" as permissive for update to "authenticated"
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);
create policy "Users can delete own agents" on "public"."agents" as permissive for delete to "authenticated"
  using ((select auth.uid()) = user_id);
grant select on table "public"."agents" to "anon";
grant delete, insert, select, update on table "public"."agents" to "authenticated";
grant all on table "public"."agents" to "service_role";

create table "public"."tools" (
  "id" uuid not null default gen_random_uuid(),
  "name" text not null,
  "description" text,
  "category" text,
  "icon" text,
  "input_schema" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "tools_pkey" primary key ("id"),
  constraint "tools_name_key" unique ("name"),
  constraint "tools_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100))
);
comment on table "public"."tools" is 'The tool catalogue. Readable by signed-in users, managed by service_role.';
comment on column "public"."tools"."input_schema" is 'JSON Schema of the tool''s input.';
alter table "public"."tools" enable row level security;
create policy "Signed-in users can read tools" on "public"."tools" as permissive for select to "authenticated"
  using (true);
grant select on table "public"."tools" to "anon";
grant select on table "public"."tools" to "authenticated";
grant all on table "public"."tools" to "service_role";

create table "public"."agent_tools" (
  "id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "tool_id" uuid not null,
  "enabled" boolean not null default true,
  "configuration" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "agent_tools_pkey" primary key ("id"),
  constraint "agent_tools_agent_id_tool_id_key" unique ("agent_id", "tool_id")
);
comment on table "public"."agent_tools" is 'Which tools an agent may use, with per-assignment configuration.';
create index "agent_tools_tool_id_idx" on "public"."agent_tools" using btree ("tool_id");
alter table "public"."agent_tools" enable row level security;
create policy "Owners see their agents' tools" on "public"."agent_tools" as permissive for select to "authenticated"
  using (exists (select 1 from public.agents a where a.id = agent_id and a.user_id = (select auth.uid())));
create policy "Owners assign tools to their agents" on "public"."agent_tools" as permissive for insert to "authenticated"
  with check (exists (select 1 from public.agents a where a.id = agent_id and a.user_id = (select auth.uid())));
create policy "Owners change their agents' tools" on "public"."agent_tools" as permissive for update to "authenticated"
  using (exists (select 1 from public.agents a where a.id = agent_id and a.user_id = (select auth.uid())))
  with check (exists (select 1 from public.agents a where a.id = agent_id and a.user_id = (select auth.uid())));
create policy "Owners remove their agents' tools" on "public"."agent_tools" as permissive for delete to "authenticated"
  using (exists (select 1 from public.agents a where a.id = agent_id and a.user_id = (select auth.uid())));
grant select on table "public"."agent_tools" to "anon";
grant delete, insert, select, update on table "public"."agent_tools" to "authenticated";
grant all on table "public"."agent_tools" to "service_role";

alter table "ai"."agents" add constraint "agents_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."agent_mcp_servers" add constraint "agent_mcp_servers_agent_id_fkey" foreign key ("agent_id") references "ai"."agents" ("id") on delete cascade;
alter table "ai"."agent_sessions" add constraint "agent_sessions_agent_id_fkey" foreign key ("agent_id") references "ai"."agents" ("id") on delete cascade;
alter table "ai"."agent_sessions" add constraint "agent_sessions_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "ai"."ai_provider_keys" add constraint "ai_provider_keys_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."context_handlers" add constraint "context_handlers_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."hooks" add constraint "hooks_agent_id_fkey" foreign key ("agent_id") references "ai"."agents" ("id") on delete cascade;
alter table "ai"."knowledge_bases" add constraint "knowledge_bases_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."agent_knowledge_bases" add constraint "agent_knowledge_bases_agent_id_fkey" foreign key ("agent_id") references "ai"."agents" ("id") on delete cascade;
alter table "ai"."agent_knowledge_bases" add constraint "agent_knowledge_bases_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."enrichment_configs" add constraint "enrichment_configs_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."orchestrations" add constraint "orchestrations_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."orchestration_sessions" add constraint "orchestration_sessions_orchestration_id_fkey" foreign key ("orchestration_id") references "ai"."orchestrations" ("id") on delete cascade;
alter table "ai"."orchestration_sessions" add constraint "orchestration_sessions_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "ai"."orchestration_runs" add constraint "orchestration_runs_orchestration_id_fkey" foreign key ("orchestration_id") references "ai"."orchestrations" ("id") on delete cascade;
alter table "ai"."orchestration_runs" add constraint "orchestration_runs_session_id_fkey" foreign key ("session_id") references "ai"."orchestration_sessions" ("id") on delete cascade;
alter table "ai"."orchestration_runs" add constraint "orchestration_runs_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "ai"."sources" add constraint "sources_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."indexed_sources" add constraint "indexed_sources_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."indexed_sources" add constraint "indexed_sources_source_id_fkey" foreign key ("source_id") references "ai"."sources" ("id") on delete cascade;
alter table "ai"."chunks" add constraint "chunks_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."chunks" add constraint "chunks_indexed_source_id_fkey" foreign key ("indexed_source_id") references "ai"."indexed_sources" ("id") on delete cascade;
alter table "ai"."doc2json_documents" add constraint "doc2json_documents_indexed_source_id_fkey" foreign key ("indexed_source_id") references "ai"."indexed_sources" ("id") on delete cascade;
alter table "ai"."doc2json_documents" add constraint "doc2json_documents_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."embeddings" add constraint "embeddings_chunk_id_fkey" foreign key ("chunk_id") references "ai"."chunks" ("id") on delete cascade;
alter table "ai"."embeddings" add constraint "embeddings_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."full_documents" add constraint "full_documents_indexed_source_id_fkey" foreign key ("indexed_source_id") references "ai"."indexed_sources" ("id") on delete cascade;
alter table "ai"."full_documents" add constraint "full_documents_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."graph_index_toc" add constraint "graph_index_toc_indexed_source_id_fkey" foreign key ("indexed_source_id") references "ai"."indexed_sources" ("id") on delete cascade;
alter table "ai"."graph_index_toc" add constraint "graph_index_toc_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."graph_index_nodes" add constraint "graph_index_nodes_toc_id_fkey" foreign key ("toc_id") references "ai"."graph_index_toc" ("id") on delete cascade;
alter table "ai"."page_index_toc" add constraint "page_index_toc_indexed_source_id_fkey" foreign key ("indexed_source_id") references "ai"."indexed_sources" ("id") on delete cascade;
alter table "ai"."page_index_toc" add constraint "page_index_toc_knowledge_base_id_fkey" foreign key ("knowledge_base_id") references "ai"."knowledge_bases" ("id") on delete cascade;
alter table "ai"."page_index_nodes" add constraint "page_index_nodes_toc_id_fkey" foreign key ("toc_id") references "ai"."page_index_toc" ("id") on delete cascade;
alter table "ai"."page_index_nodes" add constraint "page_index_nodes_parent_id_fkey" foreign key ("parent_id") references "ai"."page_index_nodes" ("id") on delete cascade;
alter table "ai"."tools" add constraint "tools_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."agent_tools" add constraint "agent_tools_agent_id_fkey" foreign key ("agent_id") references "ai"."agents" ("id") on delete cascade;
alter table "ai"."agent_tools" add constraint "agent_tools_tool_id_fkey" foreign key ("tool_id") references "ai"."tools" ("id") on delete cascade;
alter table "ai"."workflows" add constraint "workflows_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."copilot_sessions" add constraint "copilot_sessions_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "ai"."copilot_sessions" add constraint "copilot_sessions_workflow_id_fkey" foreign key ("workflow_id") references "ai"."workflows" ("id") on delete cascade;
alter table "ai"."copilot_messages" add constraint "copilot_messages_session_id_fkey" foreign key ("session_id") references "ai"."copilot_sessions" ("id") on delete cascade;
alter table "ai"."orchestration_entities" add constraint "orchestration_entities_orchestration_id_fkey" foreign key ("orchestration_id") references "ai"."orchestrations" ("id") on delete cascade;
alter table "ai"."orchestration_entities" add constraint "orchestration_entities_agent_id_fkey" foreign key ("agent_id") references "ai"."agents" ("id") on delete cascade;
alter table "ai"."orchestration_entities" add constraint "orchestration_entities_workflow_id_fkey" foreign key ("workflow_id") references "ai"."workflows" ("id") on delete cascade;
alter table "ai"."workflow_blocks" add constraint "workflow_blocks_workflow_id_fkey" foreign key ("workflow_id") references "ai"."workflows" ("id") on delete cascade;
alter table "ai"."workflow_edges" add constraint "workflow_edges_workflow_id_fkey" foreign key ("workflow_id") references "ai"."workflows" ("id") on delete cascade;
alter table "ai"."workflow_edges" add constraint "workflow_edges_source_block_id_fkey" foreign key ("source_block_id") references "ai"."workflow_blocks" ("id") on delete cascade;
alter table "ai"."workflow_edges" add constraint "workflow_edges_target_block_id_fkey" foreign key ("target_block_id") references "ai"."workflow_blocks" ("id") on delete cascade;
alter table "ai"."workflow_executions" add constraint "workflow_executions_workflow_id_fkey" foreign key ("workflow_id") references "ai"."workflows" ("id") on delete cascade;
alter table "ai"."workflow_executions" add constraint "workflow_executions_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete set null;
alter table "ai"."agent_runs" add constraint "agent_runs_agent_id_fkey" foreign key ("agent_id") references "ai"."agents" ("id") on delete cascade;
alter table "ai"."agent_runs" add constraint "agent_runs_session_id_fkey" foreign key ("session_id") references "ai"."agent_sessions" ("id") on delete cascade;
alter table "ai"."agent_runs" add constraint "agent_runs_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "ai"."agent_runs" add constraint "agent_runs_parent_orchestration_run_id_fkey" foreign key ("parent_orchestration_run_id") references "ai"."orchestration_runs" ("id") on delete cascade;
alter table "ai"."agent_runs" add constraint "agent_runs_parent_workflow_execution_id_fkey" foreign key ("parent_workflow_execution_id") references "ai"."workflow_executions" ("id") on delete cascade;
alter table "ai"."message_citations" add constraint "message_citations_run_id_fkey" foreign key ("run_id") references "ai"."agent_runs" ("id") on delete cascade;
alter table "ai"."message_citations" add constraint "message_citations_chunk_id_fkey" foreign key ("chunk_id") references "ai"."chunks" ("id") on delete set null;
alter table "ai"."message_citations" add constraint "message_citations_source_id_fkey" foreign key ("source_id") references "ai"."sources" ("id") on delete set null;
alter table "ai"."tool_call_events" add constraint "tool_call_events_run_id_fkey" foreign key ("run_id") references "ai"."agent_runs" ("id") on delete cascade;
alter table "ai"."tool_call_events" add constraint "tool_call_events_tool_id_fkey" foreign key ("tool_id") references "ai"."tools" ("id") on delete set null;
alter table "ai"."workflow_block_logs" add constraint "workflow_block_logs_execution_id_fkey" foreign key ("execution_id") references "ai"."workflow_executions" ("id") on delete cascade;
alter table "ai"."workflow_block_logs" add constraint "workflow_block_logs_block_id_fkey" foreign key ("block_id") references "ai"."workflow_blocks" ("id") on delete set null;
alter table "auth"."sessions" add constraint "sessions_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "auth"."refresh_tokens" add constraint "refresh_tokens_session_id_fkey" foreign key ("session_id") references "auth"."sessions" ("id") on delete cascade;
alter table "auth"."refresh_tokens" add constraint "refresh_tokens_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "public"."agents" add constraint "agents_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "public"."agent_tools" add constraint "agent_tools_agent_id_fkey" foreign key ("agent_id") references "public"."agents" ("id") on delete cascade;
alter table "public"."agent_tools" add constraint "agent_tools_tool_id_fkey" foreign key ("tool_id") references "public"."tools" ("id") on delete cascade;

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

create or replace function "public"."agent_count"("framework" text default null)
returns bigint
language sql stable
as $fn$
select count(*) from public.agents a where $1 is null or a.framework = $1
$fn$;
comment on function "public"."agent_count"(text) is 'How many agents the caller can see, optionally of one framework.';
revoke execute on function "public"."agent_count"(text) from public;
grant execute on function "public"."agent_count"(text) to "authenticated", "service_role";

create or replace function "public"."effective_settings"(jsonb)
returns jsonb
language sql immutable
as $fn$
select jsonb_build_object(
  'temperature', 0.7, 'max_tokens', 4096, 'presence_penalty', 0,
  'frequency_penalty', 0, 'top_p', 1, 'stop', null
) || coalesce($1, '{}'::jsonb)
$fn$;
comment on function "public"."effective_settings"(jsonb) is 'The model settings an agent runs with, given its own; unset keys take the defaults. Takes the request body as its one argument.';
revoke execute on function "public"."effective_settings"(jsonb) from public;
grant execute on function "public"."effective_settings"(jsonb) to "anon", "authenticated", "service_role";

create or replace function "public"."search_agents"("query" text)
returns setof "public"."agents"
language sql stable
as $fn$
select * from public.agents a
where to_tsvector('english', a.name || ' ' || coalesce(a.system_prompt, ''))
      @@ websearch_to_tsquery('english', $1)
$fn$;
comment on function "public"."search_agents"(text) is 'Agents whose name or system prompt matches a web-style search query (English).';
revoke execute on function "public"."search_agents"(text) from public;
grant execute on function "public"."search_agents"(text) to "authenticated", "service_role";

create or replace function "public"."set_agent_status"("agent_id" uuid, "status" text)
returns "public"."agents"
language sql volatile
as $fn$
update public.agents set status = $2, updated_at = now() where id = $1 returning *
$fn$;
comment on function "public"."set_agent_status"(uuid, text) is 'Sets an agent''s status and returns the agent; RLS limits it to the caller''s agents.';
revoke execute on function "public"."set_agent_status"(uuid, text) from public;
grant execute on function "public"."set_agent_status"(uuid, text) to "authenticated", "service_role";

create view "public"."agent_overview" ("agent_id", "name", "framework", "tools") with (security_invoker = true) as
SELECT a.id AS agent_id,
    a.name,
    a.framework,
    count(t.tool_id) AS tools
   FROM (public.agents a
     LEFT JOIN public.agent_tools t ON ((t.agent_id = a.id)))
  GROUP BY a.id;
do $check$
declare
  problems text;
begin
  select string_agg(format('column %s is %s, the spec says %s', coalesce(a.attname::text, d.name), coalesce(format_type(a.atttypid, a.atttypmod), 'missing'), coalesce(d.ty, 'nothing')), '; ' order by coalesce(a.attnum, d.n))
  into problems
  from (select a.attnum, a.attname, a.atttypid, a.atttypmod from pg_catalog.pg_attribute a
        where a.attrelid = '"public"."agent_overview"'::regclass and a.attnum > 0 and not a.attisdropped) a
  full join (values (1, 'agent_id', 'uuid'), (2, 'name', 'text'), (3, 'framework', 'text'), (4, 'tools', 'bigint')) as d(n, name, ty) on d.n = a.attnum
  where d.n is null or a.attnum is null
     or (a.atttypid <> d.ty::regtype and not exists (select from pg_catalog.pg_cast k
       where k.castsource = a.atttypid and k.casttarget = d.ty::regtype and k.castmethod = 'b'));
  if problems is not null then
    raise exception 'view public.agent_overview does not give the columns the spec declares: %', problems;
  end if;
end
$check$;
comment on view "public"."agent_overview" is 'Each agent the caller can see, with how many tools it has.';
comment on column "public"."agent_overview"."tools" is 'Tools assigned to the agent.';
grant select on table "public"."agent_overview" to "authenticated";
grant select on table "public"."agent_overview" to "service_role";
