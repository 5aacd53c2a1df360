-- @generated from spec/public.yaml — do not edit
-- Migration 0002_add_agents_nickname: changes the schema 0001_init leaves behind into the one the spec declares.

alter table "public"."agents" add column "nickname" text;

alter table "public"."agents" add constraint "agents_nickname_check" check ("nickname" is null or (char_length("nickname") <= 20));
