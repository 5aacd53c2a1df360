//! Emits the SQL migration that creates what the spec declares.
//!
//! Layout comes from a minijinja template; every identifier and literal in it was quoted
//! by [`crate::sql`] before it reached the template.

use crate::error::{Error, Result};
use crate::ir::{Command, DefaultValue, Function, Ir, Table};
use crate::lower::literal_default;
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
    let version = "0001";
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
            })
        })
        .map_err(|source| Error::Template {
            template: "migration",
            source,
        })?;
    Ok(vec![MigrationFile {
        version: version.into(),
        name: name.into(),
        sql: tidy(&sql),
    }])
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

fn table_ident(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

fn table_view(t: &Table) -> TableView {
    let ident = table_ident(&t.schema, &t.name);
    let mut lines = Vec::new();
    for c in &t.columns {
        let mut line = format!("{} {}", quote_ident(&c.name), c.ty.sql());
        if !c.nullable {
            line.push_str(" not null");
        }
        match &c.default {
            Some(DefaultValue::Sql(expr)) => line.push_str(&format!(" default {expr}")),
            Some(DefaultValue::Literal(v)) => {
                line.push_str(&format!(" default {}", literal_default(v, c.ty)))
            }
            None => {}
        }
        lines.push(line);
    }
    if !t.primary_key.is_empty() {
        lines.push(format!(
            "constraint {} primary key ({})",
            quote_ident(&format!("{}_pkey", t.name)),
            idents(&t.primary_key)
        ));
    }
    for u in &t.uniques {
        lines.push(format!(
            "constraint {} unique ({})",
            quote_ident(&u.name),
            idents(&u.columns)
        ));
    }
    for c in &t.checks {
        lines.push(format!(
            "constraint {} check ({})",
            quote_ident(&c.name),
            c.expr
        ));
    }
    let mut comments = Vec::new();
    if let Some(c) = &t.comment {
        comments.push(format!("comment on table {ident} is {}", quote_literal(c)));
    }
    for c in &t.columns {
        if let Some(text) = &c.comment {
            comments.push(format!(
                "comment on column {ident}.{} is {}",
                quote_ident(&c.name),
                quote_literal(text)
            ));
        }
    }
    let indexes = t
        .indexes
        .iter()
        .map(|i| {
            let cols: Vec<String> = i
                .columns
                .iter()
                .map(|c| {
                    let mut s = quote_ident(&c.name);
                    if c.descending {
                        s.push_str(" desc");
                    }
                    s
                })
                .collect();
            format!(
                "create {}index {} on {ident} using {} ({})",
                if i.unique { "unique " } else { "" },
                quote_ident(&i.name),
                i.method,
                cols.join(", ")
            )
        })
        .collect();
    let policies = t
        .policies
        .iter()
        .map(|p| {
            let mut s = format!(
                "create policy {} on {ident} as {} for {} to {}",
                quote_ident(&p.name),
                if p.restrictive {
                    "restrictive"
                } else {
                    "permissive"
                },
                p.command.sql(),
                if p.roles.is_empty() {
                    "public".to_string()
                } else {
                    p.roles
                        .iter()
                        .map(|r| {
                            if r == "public" {
                                r.clone()
                            } else {
                                quote_ident(r)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            if let Some(u) = &p.using {
                s.push_str(&format!("\n  using ({})", u.trim()));
            }
            if let Some(w) = &p.with_check {
                s.push_str(&format!("\n  with check ({})", w.trim()));
            }
            debug_assert!(p.command != Command::Insert || p.using.is_none());
            s
        })
        .collect();
    let grants = t
        .grants
        .iter()
        .filter(|g| !g.privileges.is_empty())
        .map(|g| {
            let role = if g.role == "public" {
                "public".to_string()
            } else {
                quote_ident(&g.role)
            };
            format!(
                "grant {} on table {ident} to {role}",
                g.privileges.join(", ")
            )
        })
        .collect();
    TableView {
        ident,
        lines,
        comments,
        indexes,
        rls: t.rls,
        policies,
        grants,
    }
}

#[derive(Serialize)]
struct FunctionView {
    create: String,
    extra: Vec<String>,
}

fn function_view(f: &Function) -> FunctionView {
    let ident = format!("{}.{}", quote_ident(&f.schema), quote_ident(&f.name));
    let params = f
        .args
        .iter()
        .map(|a| {
            let mut p = if a.name.is_empty() {
                a.ty.sql()
            } else {
                format!("{} {}", quote_ident(&a.name), a.ty.sql())
            };
            if let Some(d) = &a.default_sql {
                p.push_str(&format!(" default {d}"));
            }
            p
        })
        .collect::<Vec<_>>()
        .join(", ");
    let signature = format!(
        "{ident}({})",
        f.args
            .iter()
            .map(|a| a.ty.sql())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let security = if f.security_definer {
        // A definer function must not resolve names through the caller's search_path.
        "\nsecurity definer set search_path = ''"
    } else {
        ""
    };
    let create = format!(
        "create or replace function {ident}({params})\nreturns {}\nlanguage {} {}{security}\nas $fn$\n{}\n$fn$",
        f.returns.sql(&f.schema),
        f.language,
        f.volatility,
        f.body.trim_end()
    );
    let mut extra = Vec::new();
    if let Some(c) = &f.comment {
        extra.push(format!(
            "comment on function {signature} is {}",
            quote_literal(c)
        ));
    }
    // Functions are executable by everyone unless revoked; the spec's grants decide.
    extra.push(format!(
        "revoke execute on function {signature} from public"
    ));
    if !f.grants.is_empty() {
        let roles = f
            .grants
            .iter()
            .map(|r| {
                if r == "public" {
                    r.clone()
                } else {
                    quote_ident(r)
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        extra.push(format!("grant execute on function {signature} to {roles}"));
    }
    FunctionView { create, extra }
}

fn foreign_keys(t: &Table) -> Vec<String> {
    t.foreign_keys
        .iter()
        .map(|fk| {
            format!(
                "alter table {} add constraint {} foreign key ({}) references {} ({}) on delete {}",
                table_ident(&t.schema, &t.name),
                quote_ident(&fk.name),
                idents(&fk.columns),
                table_ident(&fk.ref_schema, &fk.ref_table),
                idents(&fk.ref_columns),
                fk.on_delete.sql()
            )
        })
        .collect()
}

fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}
