//! Migrations every project needs before its spec's: the API roles (`anon`,
//! `authenticated`, `service_role`), the `authenticator` login role the server connects as,
//! and the `auth.uid()`, `auth.role()`, `auth.jwt()` and `auth.email()` helpers that
//! policies call.

use crate::meta::Migration;

/// Platform migrations, applied before the spec's in this order.
pub static MIGRATIONS: &[Migration] = &[Migration {
    version: "platform-0001",
    name: "roles",
    sql: include_str!("../sql/platform_0001_roles.sql"),
}];
