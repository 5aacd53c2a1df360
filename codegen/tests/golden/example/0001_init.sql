-- @generated from spec/auth.yaml, spec/public.yaml — do not edit
-- Migration 0001_init: creates everything the spec declares.

create schema if not exists "auth";
comment on schema "auth" is 'Platform users and sessions. Not exposed on /rest/v1.';

create schema if not exists "public";
comment on schema "public" is 'The application''s own tables.';
grant usage on schema "public" to anon, authenticated, service_role;

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
  constraint "users_pkey" primary key ("id"),
  constraint "users_email_key" unique ("email"),
  constraint "users_email_check" check ("email" is null or (char_length("email") <= 320))
);
comment on table "auth"."users" is 'One row per end user. `id` is the `sub` claim of the user''s access tokens.';
comment on column "auth"."users"."encrypted_password" is 'Password hash; never served by any endpoint.';
grant delete, insert, select, update on table "auth"."users" to "service_role";

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

alter table "auth"."sessions" add constraint "sessions_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "auth"."refresh_tokens" add constraint "refresh_tokens_session_id_fkey" foreign key ("session_id") references "auth"."sessions" ("id") on delete cascade;
alter table "auth"."refresh_tokens" add constraint "refresh_tokens_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "public"."agents" add constraint "agents_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "public"."agent_tools" add constraint "agent_tools_agent_id_fkey" foreign key ("agent_id") references "public"."agents" ("id") on delete cascade;
alter table "public"."agent_tools" add constraint "agent_tools_tool_id_fkey" foreign key ("tool_id") references "public"."tools" ("id") on delete cascade;

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
