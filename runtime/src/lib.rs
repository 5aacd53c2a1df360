//! Ferrobase runtime: everything generic that the generated server runs on.
//!
//! The generated crate supplies a [`meta::Catalog`] (tables, columns, constraints,
//! policies, migrations, OpenAPI); this crate supplies the rest: configuration, the embedded
//! PostgreSQL, the migrations runner, authentication, request validation, and the
//! PostgREST-compatible request pipeline (`auth` → `request` → `plan` → `query` →
//! `execute` → `response`). It never depends on the generated crate.
#![warn(missing_docs)]

pub mod api;
pub mod auth;
pub mod authn;
pub mod cli;
pub mod config;
pub mod embedded;
pub mod error;
pub mod import;
pub mod meta;
pub mod migrate;
pub mod platform;
pub mod rest;
pub mod secrets;
pub mod server;
pub mod tools;
pub mod validate;

pub use error::{ApiError, Error, Result};
