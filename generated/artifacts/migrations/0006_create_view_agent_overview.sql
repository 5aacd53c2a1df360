-- @generated from spec/ai.yaml, spec/auth.yaml, spec/public.yaml — do not edit
-- Migration 0006_create_view_agent_overview: changes the schema 0005_spec_change leaves behind into the one the spec declares.

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
