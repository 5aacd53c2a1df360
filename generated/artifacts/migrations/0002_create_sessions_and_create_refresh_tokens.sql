-- @generated from spec/auth.yaml, spec/public.yaml — do not edit
-- Migration 0002_create_sessions_and_create_refresh_tokens: changes the schema 0001_init leaves behind into the one the spec declares.

create table "auth"."sessions" (
  "id" uuid not null default gen_random_uuid(),
  "user_id" uuid not null,
  "created_at" timestamptz not null default now(),
  "refreshed_at" timestamptz,
  "user_agent" text,
  "ip" text,
  constraint "sessions_pkey" primary key ("id")
);
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

create index "sessions_user_id_idx" on "auth"."sessions" using btree ("user_id");
create index "refresh_tokens_session_id_idx" on "auth"."refresh_tokens" using btree ("session_id");

alter table "auth"."sessions" add constraint "sessions_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;
alter table "auth"."refresh_tokens" add constraint "refresh_tokens_session_id_fkey" foreign key ("session_id") references "auth"."sessions" ("id") on delete cascade;
alter table "auth"."refresh_tokens" add constraint "refresh_tokens_user_id_fkey" foreign key ("user_id") references "auth"."users" ("id") on delete cascade;

comment on table "auth"."sessions" is 'One row per signed-in device; access tokens carry its id as `session_id`.';
comment on table "auth"."refresh_tokens" is 'Refresh tokens, stored as SHA-256 hashes. Each is used once: refreshing revokes it and
issues the next; presenting a revoked one revokes the whole session.';

grant delete, insert, select, update on table "auth"."users" to "service_role";
grant delete, insert, select, update on table "auth"."sessions" to "service_role";
grant delete, insert, select, update on table "auth"."refresh_tokens" to "service_role";
