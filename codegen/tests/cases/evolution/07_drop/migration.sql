-- @generated from spec/public.yaml — do not edit
-- Migration 0006_drop_agent_tools_and_drop_invoices_and_drop_schema_billing: changes the schema 0005_spec_change leaves behind into the one the spec declares.

revoke usage on schema "public" from anon, authenticated, service_role;

drop policy "Everyone signed in reads tools" on "public"."toolbox";

drop table "public"."agent_tools";
drop table "billing"."invoices";

alter table "public"."toolbox" disable row level security;

create or replace function "public"."agents_named"("prefix" text)
returns setof "public"."agents"
language sql stable
as $fn$
select * from public.agents a where a.name like $1 || '%'
$fn$;

drop schema "billing";
