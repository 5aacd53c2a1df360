//! Emits SQL migrations: the first one, which creates what the spec declares, and each
//! later one, which makes the changes [`crate::diff`] found between two models.
//!
//! The first one's layout comes from a minijinja template; every identifier and literal in
//! it was quoted by [`crate::sql`] before it reached the template. A later one lists the
//! diff's statements (their `Display`), a blank line between groups of one kind.

use crate::ddl;
use crate::diff::Diff;
use crate::error::{Error, Result};
use crate::ir::{Function, Ir, Table};
use crate::sql::{quote_ident, quote_literal};
use serde::Serialize;

const TEMPLATE: &str = include_str!("../../templates/migration.sql.jinja");

/// One emitted migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// Zero-padded version, e.g. `0001`.
    pub version: String,
    /// Short name, e.g. `init`.
    pub name: String,
    /// The SQL.
    pub sql: String,
}

impl MigrationFile {
    /// File name, e.g. `0001_init.sql`.
    pub fn file_name(&self) -> String {
        format!("{}_{}.sql", self.version, self.name)
    }
}

/// The migrations that create the spec's schema from an empty database.
pub fn emit_migrations(ir: &Ir) -> Result<Vec<MigrationFile>> {
    Ok(vec![emit_init(ir)?])
}

/// The version of the first migration.
pub const FIRST_VERSION: &str = "0001";

/// `0001_init`: creates everything the spec declares in an empty database.
pub fn emit_init(ir: &Ir) -> Result<MigrationFile> {
    let version = FIRST_VERSION;
    let name = "init";
    let schemas: Vec<SchemaView> = ir
        .schemas
        .iter()
        .map(|s| SchemaView {
            ident: quote_ident(&s.name),
            comment: s.comment.as_deref().map(quote_literal),
            exposed: s.exposed,
        })
        .collect();
    let tables: Vec<TableView> = ir.tables.iter().map(table_view).collect();
    let foreign_keys: Vec<String> = ir.tables.iter().flat_map(foreign_keys).collect();
    let functions: Vec<FunctionView> = ir.functions.iter().map(function_view).collect();
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_template("migration", TEMPLATE)
        .map_err(|source| Error::Template {
            template: "migration",
            source,
        })?;
    let sql = env
        .get_template("migration")
        .and_then(|t| {
            t.render(minijinja::context! {
                sources => ir.sources.iter().map(|s| format!("spec/{s}")).collect::<Vec<_>>(),
                version => version,
                name => name,
                schemas => schemas,
                tables => tables,
                foreign_keys => foreign_keys,
                functions => functions,
                vector => ir.uses_vector(),
                views => ir.views.iter().map(ddl::create_view).collect::<Vec<_>>(),
            })
        })
        .map_err(|source| Error::Template {
            template: "migration",
            source,
        })?;
    Ok(MigrationFile {
        version: version.into(),
        name: name.into(),
        sql: tidy(&sql),
    })
}

/// A migration making the changes of `diff`, which turns the database `previous` (a
/// migration's `<version>_<name>`) leaves behind into the one `ir` describes.
pub fn emit_change(ir: &Ir, version: &str, previous: &str, diff: &Diff<'_>) -> MigrationFile {
    let name = diff.name();
    let mut sql = format!(
        "-- @generated from {} — do not edit\n-- Migration {version}_{name}: changes the schema {previous} leaves behind into the one the spec declares.\n",
        ir.sources
            .iter()
            .map(|s| format!("spec/{s}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut group = None;
    for change in &diff.changes {
        if group != Some(change.group()) {
            sql.push('\n');
            group = Some(change.group());
        }
        sql.push_str(&format!("{change};\n"));
    }
    MigrationFile {
        version: version.into(),
        name,
        sql,
    }
}

/// Collapses runs of blank lines the template's loops leave behind.
fn tidy(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut blank = 0;
    for line in sql.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[derive(Serialize)]
struct SchemaView {
    ident: String,
    comment: Option<String>,
    exposed: bool,
}

#[derive(Serialize)]
struct TableView {
    ident: String,
    lines: Vec<String>,
    comments: Vec<String>,
    indexes: Vec<String>,
    rls: bool,
    policies: Vec<String>,
    grants: Vec<String>,
}

fn table_view(t: &Table) -> TableView {
    let mut lines: Vec<String> = t.columns.iter().map(ddl::column).collect();
    lines.extend(ddl::primary_key(t));
    for u in &t.uniques {
        lines.push(ddl::unique(&u.name, &u.columns));
    }
    for c in &t.checks {
        lines.push(ddl::check(c));
    }
    let mut comments = Vec::new();
    if let Some(c) = &t.comment {
        comments.push(ddl::comment_on_table(t, Some(c)));
    }
    for c in &t.columns {
        if let Some(text) = &c.comment {
            comments.push(ddl::comment_on_column(t, &c.name, Some(text)));
        }
    }
    TableView {
        ident: ddl::qualified(&t.schema, &t.name),
        lines,
        comments,
        indexes: t.indexes.iter().map(|i| ddl::create_index(t, i)).collect(),
        rls: t.rls,
        policies: t
            .policies
            .iter()
            .map(|p| ddl::create_policy(t, p))
            .collect(),
        grants: t.grants.iter().filter_map(|g| ddl::grant(t, g)).collect(),
    }
}

#[derive(Serialize)]
struct FunctionView {
    create: String,
    extra: Vec<String>,
}

fn function_view(f: &Function) -> FunctionView {
    FunctionView {
        create: ddl::create_function(f),
        extra: ddl::function_extras(f),
    }
}

fn foreign_keys(t: &Table) -> Vec<String> {
    t.foreign_keys
        .iter()
        .map(|fk| ddl::add_foreign_key(t, fk))
        .collect()
}
