-- @generated from spec/public.yaml — do not edit
-- Migration 0001_init: creates everything the spec declares.

create schema if not exists "public";
comment on schema "public" is 'Spec evolution test schema.';
grant usage on schema "public" to anon, authenticated, service_role;

create table "public"."agents" (
  "id" uuid not null default gen_random_uuid(),
  "owner" uuid default auth.uid(),
  "name" text not null,
  "avatar" text,
  "framework" text not null default 'openai'::text,
  "age" text,
  "score" integer not null default 0,
  "notes" text,
  "settings" jsonb not null default '{}'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "agents_pkey" primary key ("id"),
  constraint "agents_name_check" check ("name" is null or (char_length("name") >= 1 and char_length("name") <= 100)),
  constraint "agents_avatar_check" check ("avatar" is null or (char_length("avatar") <= 500)),
  constraint "agents_framework_check" check ("framework" is null or ("framework" in ('openai', 'anthropic'))),
  constraint "agents_settings_check" check ("settings" is null or ((jsonb_typeof("settings") = 'object' and case when not ("settings" ? 'temperature') then true when jsonb_typeof(("settings" -> 'temperature')) = 'null' then false when jsonb_typeof(("settings" -> 'temperature')) = 'number' then ("settings" -> 'temperature')::numeric >= 0 and ("settings" -> 'temperature')::numeric <= 2 else false end))),
  constraint "agents_score_nonnegative" check (score >= 0)
);
comment on table "public"."agents" is 'Agents.';
comment on column "public"."agents"."avatar" is 'Avatar URL.';
create index "agents_owner_created_at_idx" on "public"."agents" using btree ("owner", "created_at" desc);
alter table "public"."agents" enable row level security;
create policy "Owners read" on "public"."agents" as permissive for select to "authenticated"
  using (owner = (select auth.uid()));
create policy "Owners insert" on "public"."agents" as permissive for insert to "authenticated"
  with check (owner = (select auth.uid()));
grant select on table "public"."agents" to "anon";
grant delete, insert, select, update on table "public"."agents" to "authenticated";
grant all on table "public"."agents" to "service_role";

create table "public"."tools" (
  "id" uuid not null default gen_random_uuid(),
  "name" text not null,
  "description" text,
  constraint "tools_pkey" primary key ("id"),
  constraint "tools_name_key" unique ("name")
);
create index "tools_description_idx" on "public"."tools" using btree ("description");
grant select on table "public"."tools" to "authenticated";
grant all on table "public"."tools" to "service_role";

create table "public"."agent_tools" (
  "id" uuid not null default gen_random_uuid(),
  "agent_id" uuid not null,
  "tool_id" uuid not null,
  constraint "agent_tools_pkey" primary key ("id"),
  constraint "agent_tools_agent_id_tool_id_key" unique ("agent_id", "tool_id")
);
create index "agent_tools_tool_id_idx" on "public"."agent_tools" using btree ("tool_id");
grant delete, insert, select on table "public"."agent_tools" to "authenticated";

alter table "public"."agent_tools" add constraint "agent_tools_agent_id_fkey" foreign key ("agent_id") references "public"."agents" ("id") on delete cascade;
alter table "public"."agent_tools" add constraint "agent_tools_tool_id_fkey" foreign key ("tool_id") references "public"."tools" ("id") on delete cascade;

create or replace function "public"."agent_count"("framework" text default null)
returns bigint
language sql stable
as $fn$
select count(*) from public.agents a where $1 is null or a.framework = $1
$fn$;
revoke execute on function "public"."agent_count"(text) from public;
grant execute on function "public"."agent_count"(text) to "authenticated";

create or replace function "public"."hello"()
returns text
language sql immutable
as $fn$
select 'hello'
$fn$;
revoke execute on function "public"."hello"() from public;
grant execute on function "public"."hello"() to "anon";
