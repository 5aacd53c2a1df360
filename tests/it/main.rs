//! End-to-end tests: the generated server over real HTTP against a real PostgreSQL.

mod harness;
mod rest;
mod rls;
mod supabase_js;
