//! End-to-end tests: the generated server over real HTTP against a real PostgreSQL.

mod aggregates;
mod ai_api;
mod ai_schema;
mod auth;
mod embed;
mod evolution;
mod formats;
mod harness;
mod import;
mod nested;
mod operators;
mod prefer;
mod profiles;
mod rest;
mod rls;
mod rpc;
mod sdk;
mod search;
mod self_reference;
mod supabase_js;
mod typed_api;
mod views;
