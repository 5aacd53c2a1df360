-- @generated from spec/ai.yaml, spec/auth.yaml, spec/public.yaml — do not edit
-- Migration 0004_add_users_aud_and_add_users_role_and_add_users_banned_until: changes the schema 0003_spec_change leaves behind into the one the spec declares.

alter table "auth"."users" add column "aud" text not null default 'authenticated'::text;
alter table "auth"."users" add column "role" text not null default 'authenticated'::text;
alter table "auth"."users" add column "banned_until" timestamptz;

comment on column "auth"."users"."email" is 'Stored trimmed and lowercase.';
comment on column "auth"."users"."aud" is 'Audience of the user''s access tokens.';
comment on column "auth"."users"."role" is 'Database role of the user''s access tokens; admins may set another API role.';
comment on column "auth"."users"."banned_until" is 'Until then the user cannot sign in or refresh; admins set it with `ban_duration`.';
