-- @generated from spec/public.yaml — do not edit
-- Migration 0010_spec_change: changes the schema 0009_create_view_agent_scores_and_create_view_top_agents leaves behind into the one the spec declares.

drop view "public"."top_agents";
drop view "public"."agent_scores";

drop policy "Owners read" on "public"."agents";
drop policy "Owners insert" on "public"."agents";
drop policy "Owners update" on "public"."agents";

alter table "public"."agents" alter column "score" drop default;

alter table "public"."agents" alter column "score" type numeric;

alter table "public"."agents" alter column "score" set default 0;

create policy "Owners read" on "public"."agents" as permissive for select to "authenticated"
  using ((select auth.uid()) = owner);
create policy "Owners insert" on "public"."agents" as permissive for insert to "authenticated"
  with check (owner = (select auth.uid()));
create policy "Owners update" on "public"."agents" as permissive for update to "authenticated"
  using (owner = (select auth.uid()))
  with check (owner = (select auth.uid()));
create view "public"."agent_scores" ("agent_id", "name", "score", "framework") with (security_invoker = true) as
select a.id, a.name, a.score, a.framework from public.agents a;
do $check$
declare
  problems text;
begin
  select string_agg(format('column %s is %s, the spec says %s', coalesce(a.attname::text, d.name), coalesce(format_type(a.atttypid, a.atttypmod), 'missing'), coalesce(d.ty, 'nothing')), '; ' order by coalesce(a.attnum, d.n))
  into problems
  from (select a.attnum, a.attname, a.atttypid, a.atttypmod from pg_catalog.pg_attribute a
        where a.attrelid = '"public"."agent_scores"'::regclass and a.attnum > 0 and not a.attisdropped) a
  full join (values (1, 'agent_id', 'uuid'), (2, 'name', 'text'), (3, 'score', 'numeric'), (4, 'framework', 'text')) as d(n, name, ty) on d.n = a.attnum
  where d.n is null or a.attnum is null
     or (a.atttypid <> d.ty::regtype and not exists (select from pg_catalog.pg_cast k
       where k.castsource = a.atttypid and k.casttarget = d.ty::regtype and k.castmethod = 'b'));
  if problems is not null then
    raise exception 'view public.agent_scores does not give the columns the spec declares: %', problems;
  end if;
end
$check$;
comment on view "public"."agent_scores" is 'Agents with their score.';
comment on column "public"."agent_scores"."score" is 'The score.';
grant select on table "public"."agent_scores" to "authenticated";
create view "public"."top_agents" ("agent_id", "score") with (security_invoker = false) as
select s.agent_id, s.score from public.agent_scores s where s.score > 10;
do $check$
declare
  problems text;
begin
  select string_agg(format('column %s is %s, the spec says %s', coalesce(a.attname::text, d.name), coalesce(format_type(a.atttypid, a.atttypmod), 'missing'), coalesce(d.ty, 'nothing')), '; ' order by coalesce(a.attnum, d.n))
  into problems
  from (select a.attnum, a.attname, a.atttypid, a.atttypmod from pg_catalog.pg_attribute a
        where a.attrelid = '"public"."top_agents"'::regclass and a.attnum > 0 and not a.attisdropped) a
  full join (values (1, 'agent_id', 'uuid'), (2, 'score', 'numeric')) as d(n, name, ty) on d.n = a.attnum
  where d.n is null or a.attnum is null
     or (a.atttypid <> d.ty::regtype and not exists (select from pg_catalog.pg_cast k
       where k.castsource = a.atttypid and k.casttarget = d.ty::regtype and k.castmethod = 'b'));
  if problems is not null then
    raise exception 'view public.top_agents does not give the columns the spec declares: %', problems;
  end if;
end
$check$;
grant select on table "public"."top_agents" to "service_role";
