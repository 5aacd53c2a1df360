-- @generated from spec/public.yaml — do not edit
-- Migration 0004_spec_change: changes the schema 0003_spec_change leaves behind into the one the spec declares.

drop policy "Owners read" on "public"."agents";
drop policy "Owners insert" on "public"."agents";

drop function "public"."hello"();

alter table "public"."agents" drop constraint "agents_framework_check";
alter table "public"."agents" drop constraint "agents_score_nonnegative";

alter table "public"."agents" drop column "notes";

alter table "public"."agents" alter column "score" drop default;

alter table "public"."agents" alter column "age" type integer using "age"::integer;
alter table "public"."agents" alter column "score" type bigint;

alter table "public"."agents" alter column "framework" set default 'anthropic'::text;
alter table "public"."agents" alter column "score" set default 0;
alter table "public"."toolbox" alter column "description" set default ''::text;
alter table "public"."toolbox" alter column "description" set not null;

alter table "public"."agents" add constraint "agents_framework_check" check ("framework" is null or ("framework" in ('openai', 'anthropic', 'google')));
alter table "public"."agents" add constraint "agents_score_nonnegative" check (score >= 0 and score < 1000000);

comment on column "public"."agents"."avatar_url" is null;
comment on table "public"."agents" is 'AI agents, one owner each.';

alter table "public"."toolbox" enable row level security;

revoke all on table "public"."agents" from "anon";
revoke all on table "public"."toolbox" from "authenticated";
grant insert, select on table "public"."toolbox" to "authenticated";

create or replace function "public"."agent_count"("framework" text default null)
returns bigint
language sql stable
as $fn$
select count(*) from public.agents a where $1 is null or a.framework = $1 or $1 = ''
$fn$;
create or replace function "public"."agents_named"("prefix" text)
returns setof "public"."agents"
language sql stable
as $fn$
select * from public.agents a where a.name like $1 || '%'
$fn$;

comment on function "public"."agents_named"(text) is 'Agents whose name starts with a prefix.';
revoke execute on function "public"."agents_named"(text) from public;
grant execute on function "public"."agents_named"(text) to "authenticated", "service_role";

create policy "Owners read" on "public"."agents" as permissive for select to "authenticated"
  using ((select auth.uid()) = owner);
create policy "Owners insert" on "public"."agents" as permissive for insert to "authenticated"
  with check (owner = (select auth.uid()));
create policy "Owners update" on "public"."agents" as permissive for update to "authenticated"
  using (owner = (select auth.uid()))
  with check (owner = (select auth.uid()));
create policy "Everyone signed in reads tools" on "public"."toolbox" as permissive for select to "authenticated"
  using (true);
