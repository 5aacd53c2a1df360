-- @generated from spec/public.yaml — do not edit
-- Migration 0003_spec_change: changes the schema 0002_add_agents_nickname leaves behind into the one the spec declares.

alter table "public"."tools" rename to "toolbox";

alter table "public"."agents" rename column "avatar" to "avatar_url";
alter table "public"."agent_tools" rename column "tool_id" to "toolbox_id";

alter table "public"."agents" rename constraint "agents_avatar_check" to "agents_avatar_url_check";
alter table "public"."toolbox" rename constraint "tools_pkey" to "toolbox_pkey";
alter table "public"."toolbox" rename constraint "tools_name_key" to "toolbox_name_key";
alter index "public"."tools_description_idx" rename to "toolbox_description_idx";
alter table "public"."agent_tools" rename constraint "agent_tools_agent_id_tool_id_key" to "agent_tools_agent_id_toolbox_id_key";
alter index "public"."agent_tools_tool_id_idx" rename to "agent_tools_toolbox_id_idx";
alter table "public"."agent_tools" rename constraint "agent_tools_tool_id_fkey" to "agent_tools_toolbox_id_fkey";
