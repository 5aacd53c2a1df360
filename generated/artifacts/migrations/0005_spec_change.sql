-- @generated from spec/ai.yaml, spec/auth.yaml, spec/public.yaml — do not edit
-- Migration 0005_spec_change: changes the schema 0004_add_users_aud_and_add_users_role_and_add_users_banned_until leaves behind into the one the spec declares.

alter table "ai"."agent_mcp_servers" add constraint "agent_mcp_servers_headers_sealed" check (jsonb_typeof(headers) = 'object' and not jsonb_path_exists(headers, 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true));
alter table "ai"."ai_provider_keys" add constraint "ai_provider_keys_encrypted_key_sealed" check (encrypted_key ~ '^v1:[A-Za-z0-9+/]{38,}={0,2}$');
alter table "ai"."hooks" add constraint "hooks_config_headers_sealed" check (config -> 'headers' is null or (jsonb_typeof(config -> 'headers') = 'object' and not jsonb_path_exists(config -> 'headers', 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true)));
alter table "ai"."tools" add constraint "tools_config_headers_sealed" check (config -> 'headers' is null or (jsonb_typeof(config -> 'headers') = 'object' and not jsonb_path_exists(config -> 'headers', 'strict $.* ? (@.type() != "string" || !(@ like_regex "^v1:[A-Za-z0-9+/]{38,}={0,2}$"))', '{}', true)));
