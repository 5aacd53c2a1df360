-- @generated from spec/billing.yaml, spec/public.yaml — do not edit
-- Migration 0005_spec_change: changes the schema 0004_spec_change leaves behind into the one the spec declares.

create schema if not exists "billing";

comment on schema "billing" is 'Invoices; not exposed.';
comment on schema "public" is 'Spec evolution test schema, second edition.';

drop function "public"."agent_count"(text);

drop index "public"."agents_owner_created_at_idx";
alter table "public"."agent_tools" drop constraint "agent_tools_agent_id_toolbox_id_key";

alter table "public"."agents" alter column "name" drop not null;

alter table "public"."agent_tools" add column "position" integer not null default 0;

create table "billing"."invoices" (
  "id" bigint not null,
  "agent_id" uuid not null,
  "amount" numeric not null,
  "lines" jsonb not null default '[]'::jsonb,
  "created_at" timestamptz not null default now(),
  constraint "invoices_pkey" primary key ("id"),
  constraint "invoices_amount_check" check ("amount" is null or ("amount" >= 0)),
  constraint "invoices_id_positive" check (id > 0)
);

alter table "public"."agent_tools" add constraint "agent_tools_agent_id_position_key" unique ("agent_id", "position");
alter table "public"."agent_tools" add constraint "agent_tools_position_check" check ("position" is null or ("position" >= 0));

create index "agents_owner_name_idx" on "public"."agents" using btree ("owner", "name");
create index "invoices_agent_id_created_at_idx" on "billing"."invoices" using btree ("agent_id", "created_at" desc);

alter table "billing"."invoices" add constraint "invoices_agent_id_fkey" foreign key ("agent_id") references "public"."agents" ("id") on delete cascade;

grant insert, select on table "billing"."invoices" to "service_role";

create or replace function "public"."agent_count"("framework" text default null, "owner" uuid default null)
returns bigint
language sql stable
as $fn$
select count(*) from public.agents a where ($1 is null or a.framework = $1 or $1 = '')
-- the owner filter is new
and ($2 is null or a.owner = $2)
$fn$;
create or replace function "public"."agents_named"("prefix" text)
returns setof "public"."agents"
language sql stable
security definer set search_path = ''
as $fn$
select * from public.agents a where a.name like $1 || '%'
$fn$;

revoke execute on function "public"."agent_count"(text, uuid) from public;
grant execute on function "public"."agent_count"(text, uuid) to "authenticated";
comment on function "public"."agents_named"(text) is 'Agents whose name starts with a prefix (as the owner sees them).';
revoke execute on function "public"."agents_named"(text) from "service_role";
