//! Schema diff: the changes that turn the database one model describes into the database
//! another model describes.
//!
//! [`diff`] pairs the schemas, tables, columns, constraints, indexes, policies, grants and
//! functions of two [`Ir`]s (tables and columns also through `renamed_from`) and lists what
//! differs as [`Change`]s in an order Postgres accepts: renames first, then drops from the
//! dependents up, then alterations, then creations from the dependencies down.
//! Each change displays as one SQL statement.
//! Nothing here asks a database: all it knows comes from the two models, which is why the
//! model of the last migration is committed beside it (see [`crate::history`]).

use crate::ddl::{self, qualified};
use crate::ir::{
    BaseType, Column, Destructive, ForeignKey, Function, Grant, Index, Ir, Policy, Schema, SqlType,
    Table, View,
};
use crate::sql::quote_ident;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The roles an exposed schema grants `usage` to.
const API_ROLES: &str = "anon, authenticated, service_role";

/// The changes from one model to another, in the order they must run.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff<'a> {
    /// The changes, in order.
    pub changes: Vec<Change<'a>>,
}

/// One change; `Display` writes it as one SQL statement without the final `;`.
///
/// Changes on a table that both models have name the table by its new name, because the
/// renames run first.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<'a> {
    /// `create schema`.
    CreateSchema(&'a Schema),
    /// `comment on schema` with the schema's (possibly absent) comment.
    CommentOnSchema(&'a Schema),
    /// Lets the API roles use an exposed schema.
    GrantSchemaUsage(&'a Schema),
    /// Takes `usage` back from the API roles when a schema is no longer exposed.
    RevokeSchemaUsage(&'a Schema),
    /// `alter table .. rename to ..`.
    RenameTable {
        /// The table, with its new name.
        table: &'a Table,
        /// Its old name.
        from: &'a str,
    },
    /// `alter table .. rename column ..`.
    RenameColumn {
        /// The table.
        table: &'a Table,
        /// Old column name.
        from: &'a str,
        /// New column name.
        to: &'a str,
    },
    /// `alter table .. rename constraint ..`, when only the name of a constraint changes
    /// (it derives from table and column names).
    RenameConstraint {
        /// The table.
        table: &'a Table,
        /// Old constraint name.
        from: String,
        /// New constraint name.
        to: String,
    },
    /// `alter index .. rename to ..`.
    RenameIndex {
        /// The table of the index.
        table: &'a Table,
        /// Old index name.
        from: String,
        /// New index name.
        to: String,
    },
    /// `drop policy`.
    DropPolicy {
        /// The table.
        table: &'a Table,
        /// Policy name.
        name: &'a str,
    },
    /// `drop function`, for a function the spec no longer has or whose arguments or return
    /// type changed (`create or replace` cannot change those).
    DropFunction(&'a Function),
    /// `alter table .. drop constraint` of a foreign key.
    DropForeignKey {
        /// The table.
        table: &'a Table,
        /// Constraint name.
        name: String,
    },
    /// `drop table`.
    DropTable(&'a Table),
    /// `alter table .. drop constraint` of a primary key, unique or check constraint.
    DropConstraint {
        /// The table.
        table: &'a Table,
        /// Constraint name.
        name: String,
    },
    /// `drop index`.
    DropIndex {
        /// The table of the index.
        table: &'a Table,
        /// Index name.
        name: String,
    },
    /// `alter table .. drop column`.
    DropColumn {
        /// The table.
        table: &'a Table,
        /// Column name.
        column: &'a str,
    },
    /// `alter column .. drop default`.
    DropDefault {
        /// The table.
        table: &'a Table,
        /// Column name.
        column: &'a str,
    },
    /// `alter column .. type ..`, with `using` unless Postgres converts on its own.
    AlterType {
        /// The table.
        table: &'a Table,
        /// The column as the new spec has it.
        column: &'a Column,
        /// The old type.
        from: SqlType,
    },
    /// `alter column .. set expression as (..)`: a generated column computed anew
    /// (PostgreSQL 17 or later).
    SetExpression {
        /// The table.
        table: &'a Table,
        /// The column as the new spec has it.
        column: &'a Column,
    },
    /// `alter column .. drop expression`: a generated column becomes a plain one, keeping
    /// its values.
    DropExpression {
        /// The table.
        table: &'a Table,
        /// Column name.
        column: &'a str,
    },
    /// `alter column .. set default ..` with the new spec's default.
    SetDefault {
        /// The table.
        table: &'a Table,
        /// The column as the new spec has it.
        column: &'a Column,
    },
    /// `alter column .. set not null`.
    SetNotNull {
        /// The table.
        table: &'a Table,
        /// Column name.
        column: &'a str,
    },
    /// `alter column .. drop not null`.
    DropNotNull {
        /// The table.
        table: &'a Table,
        /// Column name.
        column: &'a str,
    },
    /// `alter table .. add column ..`.
    AddColumn {
        /// The table.
        table: &'a Table,
        /// The new column.
        column: &'a Column,
    },
    /// `create table` with its columns and its primary key, unique and check constraints.
    CreateTable(&'a Table),
    /// `alter table .. add constraint ..` (primary key, unique or check).
    AddConstraint {
        /// The table.
        table: &'a Table,
        /// `constraint "name" ...`.
        definition: String,
    },
    /// `create index`.
    CreateIndex {
        /// The table.
        table: &'a Table,
        /// The index.
        index: &'a Index,
    },
    /// `alter table .. add constraint .. foreign key ..`.
    AddForeignKey {
        /// The table.
        table: &'a Table,
        /// The foreign key.
        foreign_key: &'a ForeignKey,
    },
    /// `comment on table` with the table's (possibly absent) comment.
    CommentOnTable(&'a Table),
    /// `comment on column` with the column's (possibly absent) comment.
    CommentOnColumn {
        /// The table.
        table: &'a Table,
        /// The column.
        column: &'a Column,
    },
    /// `alter table .. enable row level security`.
    EnableRls(&'a Table),
    /// `alter table .. disable row level security`.
    DisableRls(&'a Table),
    /// `revoke all on table .. from ..`, before granting a role its new privileges.
    RevokeTable {
        /// The table.
        table: &'a Table,
        /// The role.
        role: &'a str,
    },
    /// `grant .. on table .. to ..`.
    GrantTable {
        /// The table.
        table: &'a Table,
        /// The role and its privileges.
        grant: &'a Grant,
    },
    /// `create or replace function`.
    CreateFunction {
        /// The function.
        function: &'a Function,
        /// Whether the old model has no function of this name.
        new: bool,
    },
    /// `comment on function` with the function's (possibly absent) comment.
    CommentOnFunction(&'a Function),
    /// `revoke execute on function .. from ..`.
    RevokeExecute {
        /// The function.
        function: &'a Function,
        /// Roles (`public` for a function just created).
        roles: Vec<String>,
    },
    /// `grant execute on function .. to ..`.
    GrantExecute {
        /// The function.
        function: &'a Function,
        /// Roles.
        roles: Vec<String>,
    },
    /// `create policy`.
    CreatePolicy {
        /// The table.
        table: &'a Table,
        /// The policy.
        policy: &'a Policy,
    },
    /// `drop schema`, once everything in it is gone (it is never dropped with `cascade`).
    DropSchema(&'a Schema),
    /// `drop view`, before the tables it reads change (a view holds no data).
    DropView(&'a View),
    /// `create view` with its column check, comments and grants (several statements).
    CreateView(&'a View),
    /// `create extension if not exists ..`, before anything that uses its types. Extensions
    /// are never dropped: other database objects may use them.
    CreateExtension(&'static str),
}

/// How a column's values get from one type to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Postgres converts on its own and no value can fail or change meaning.
    Implicit,
    /// An explicit cast is needed, but every value survives it.
    Cast,
    /// An explicit cast is needed and it can fail on existing values or lose part of them.
    Lossy,
}

/// What turns the database of `old` into the database of `new`.
pub fn diff<'a>(old: &'a Ir, new: &'a Ir) -> Diff<'a> {
    let mut out = Vec::new();
    if new.uses_vector() && !old.uses_vector() {
        out.push(Change::CreateExtension("vector"));
    }
    schemas(old, new, &mut out);
    let pairing = Pairing::new(old, new);
    tables(&pairing, &mut out);
    functions(old, new, &mut out);
    views(old, new, &mut out);
    out.sort_by_key(Change::phase);
    Diff { changes: out }
}

/// How Postgres converts a column from one type to another.
pub fn conversion(from: SqlType, to: SqlType) -> Conversion {
    use BaseType::*;
    if from == to {
        return Conversion::Implicit;
    }
    let widening = matches!(
        (from.base, to.base),
        (SmallInt, Integer | BigInt | Numeric | Real | Double)
            | (Integer, BigInt | Numeric | Double)
            | (BigInt, Numeric)
            | (Real, Double)
    );
    let faithful = matches!(
        (from.base, to.base),
        (Json, Jsonb) | (Jsonb, Json) | (Timestamp, Timestamptz) | (Date, Timestamp | Timestamptz)
    );
    match (from.array, to.array) {
        (false, false) if widening || to.base == Text => Conversion::Implicit,
        (false, false) | (true, true) if widening || faithful => Conversion::Cast,
        (true, true) if to.base == Text => Conversion::Cast,
        _ => Conversion::Lossy,
    }
}

impl Diff<'_> {
    /// True when the two models give the same database.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes that can destroy data, each with a sentence saying how.
    pub fn destructive(&self) -> Vec<(Destructive, String)> {
        self.changes
            .iter()
            .filter_map(Change::destructive)
            .collect()
    }

    /// A short name for a migration making these changes, e.g. `add_agents_nickname`: its
    /// structural changes (tables, columns, schemas, functions made, dropped, renamed or
    /// retyped) when there are at most three and the name stays short, else the one table
    /// changed, else `spec_change`.
    pub fn name(&self) -> String {
        let mut headlines: Vec<String> = Vec::new();
        for h in self.changes.iter().filter_map(Change::headline) {
            if !headlines.contains(&h) {
                headlines.push(h);
            }
        }
        let subjects: BTreeSet<&str> = self.changes.iter().map(Change::subject).collect();
        let joined = headlines.join("_and_");
        if !headlines.is_empty() && headlines.len() <= 3 && joined.len() <= 60 {
            joined
        } else if subjects.len() == 1 {
            format!("change_{}", subjects.into_iter().next().unwrap_or_default())
        } else {
            "spec_change".to_string()
        }
    }
}

impl<'a> Change<'a> {
    /// Where the change runs in a migration: changes sort by phase, stably.
    fn phase(&self) -> u8 {
        match self {
            Change::CreateExtension(_) | Change::CreateSchema(_) => 0,
            Change::CommentOnSchema(_)
            | Change::GrantSchemaUsage(_)
            | Change::RevokeSchemaUsage(_) => 1,
            Change::DropView(_) => 1,
            Change::RenameTable { .. } => 2,
            Change::RenameColumn { .. } => 3,
            Change::RenameConstraint { .. } | Change::RenameIndex { .. } => 4,
            Change::DropPolicy { .. } => 5,
            Change::DropFunction(_) => 6,
            Change::DropForeignKey { .. } => 7,
            Change::DropTable(_) => 8,
            Change::DropConstraint { .. } | Change::DropIndex { .. } => 9,
            Change::DropColumn { .. } => 10,
            Change::DropDefault { .. } => 11,
            Change::AlterType { .. } => 12,
            Change::SetDefault { .. }
            | Change::SetNotNull { .. }
            | Change::DropNotNull { .. }
            | Change::SetExpression { .. }
            | Change::DropExpression { .. } => 13,
            Change::AddColumn { .. } => 14,
            Change::CreateTable(_) => 15,
            Change::AddConstraint { .. } => 16,
            Change::CreateIndex { .. } => 17,
            Change::AddForeignKey { .. } => 18,
            Change::CommentOnTable(_) | Change::CommentOnColumn { .. } => 19,
            Change::EnableRls(_) | Change::DisableRls(_) => 20,
            Change::RevokeTable { .. } | Change::GrantTable { .. } => 21,
            Change::CreateFunction { .. } => 22,
            Change::CommentOnFunction(_)
            | Change::RevokeExecute { .. }
            | Change::GrantExecute { .. } => 23,
            Change::CreatePolicy { .. } => 24,
            Change::CreateView(_) => 24,
            Change::DropSchema(_) => 25,
        }
    }

    /// The phase, for laying out a migration in groups.
    pub fn group(&self) -> u8 {
        self.phase()
    }

    /// The data this change can destroy, named as an `allow_destructive` entry, with a
    /// sentence saying how.
    pub fn destructive(&self) -> Option<(Destructive, String)> {
        match self {
            Change::DropTable(t) => Some((
                Destructive::DropTable {
                    schema: t.schema.clone(),
                    table: t.name.clone(),
                },
                "the table and all its rows would be deleted".into(),
            )),
            Change::DropColumn { table, column } => Some((
                Destructive::DropColumn {
                    schema: table.schema.clone(),
                    table: table.name.clone(),
                    column: column.to_string(),
                },
                "the column and all its values would be deleted".into(),
            )),
            Change::AlterType {
                table,
                column,
                from,
            } if conversion(*from, column.ty) == Conversion::Lossy => Some((
                Destructive::AlterType {
                    schema: table.schema.clone(),
                    table: table.name.clone(),
                    column: column.name.clone(),
                    ty: column.ty,
                },
                format!(
                    "converting {} to {} can fail on existing values or lose part of them",
                    from.sql(),
                    column.ty.sql()
                ),
            )),
            _ => None,
        }
    }

    /// A name for a structural change: a table, column, schema or function made, dropped,
    /// renamed or retyped.
    fn headline(&self) -> Option<String> {
        Some(match self {
            Change::CreateSchema(s) => format!("create_schema_{}", s.name),
            Change::CreateExtension(e) => format!("create_extension_{e}"),
            Change::CreateView(v) => format!("create_view_{}", v.name),
            Change::DropSchema(s) => format!("drop_schema_{}", s.name),
            Change::CreateTable(t) => format!("create_{}", t.name),
            Change::DropTable(t) => format!("drop_{}", t.name),
            Change::RenameTable { from, .. } => format!("rename_{from}"),
            Change::AddColumn { table, column } => format!("add_{}_{}", table.name, column.name),
            Change::DropColumn { table, column } => format!("drop_{}_{column}", table.name),
            Change::RenameColumn { table, from, .. } => format!("rename_{}_{from}", table.name),
            Change::AlterType { table, column, .. } => {
                format!("alter_{}_{}", table.name, column.name)
            }
            Change::CreateFunction {
                function,
                new: true,
            } => format!("create_function_{}", function.name),
            _ => return None,
        })
    }

    /// The name of the table, function or schema the change is about.
    fn subject(&self) -> &'a str {
        match self {
            Change::CreateExtension(e) => e,
            Change::DropView(v) | Change::CreateView(v) => &v.name,
            Change::CreateSchema(s)
            | Change::CommentOnSchema(s)
            | Change::GrantSchemaUsage(s)
            | Change::RevokeSchemaUsage(s)
            | Change::DropSchema(s) => &s.name,
            Change::DropFunction(f)
            | Change::CommentOnFunction(f)
            | Change::CreateFunction { function: f, .. }
            | Change::RevokeExecute { function: f, .. }
            | Change::GrantExecute { function: f, .. } => &f.name,
            Change::RenameTable { table, .. }
            | Change::RenameColumn { table, .. }
            | Change::RenameConstraint { table, .. }
            | Change::RenameIndex { table, .. }
            | Change::DropPolicy { table, .. }
            | Change::DropForeignKey { table, .. }
            | Change::DropConstraint { table, .. }
            | Change::DropIndex { table, .. }
            | Change::DropColumn { table, .. }
            | Change::DropDefault { table, .. }
            | Change::AlterType { table, .. }
            | Change::SetDefault { table, .. }
            | Change::SetExpression { table, .. }
            | Change::DropExpression { table, .. }
            | Change::SetNotNull { table, .. }
            | Change::DropNotNull { table, .. }
            | Change::AddColumn { table, .. }
            | Change::AddConstraint { table, .. }
            | Change::CreateIndex { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::CommentOnColumn { table, .. }
            | Change::RevokeTable { table, .. }
            | Change::GrantTable { table, .. }
            | Change::CreatePolicy { table, .. } => &table.name,
            Change::DropTable(t)
            | Change::CreateTable(t)
            | Change::CommentOnTable(t)
            | Change::EnableRls(t)
            | Change::DisableRls(t) => &t.name,
        }
    }
}

impl fmt::Display for Change<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alter = |t: &Table| format!("alter table {}", qualified(&t.schema, &t.name));
        let alter_column =
            |t: &Table, c: &str| format!("{} alter column {}", alter(t), quote_ident(c));
        match self {
            Change::CreateSchema(s) => {
                write!(f, "create schema if not exists {}", quote_ident(&s.name))
            }
            Change::CommentOnSchema(s) => write!(
                f,
                "comment on schema {} is {}",
                quote_ident(&s.name),
                s.comment
                    .as_deref()
                    .map(crate::sql::quote_literal)
                    .unwrap_or_else(|| "null".into())
            ),
            Change::GrantSchemaUsage(s) => write!(
                f,
                "grant usage on schema {} to {API_ROLES}",
                quote_ident(&s.name)
            ),
            Change::RevokeSchemaUsage(s) => write!(
                f,
                "revoke usage on schema {} from {API_ROLES}",
                quote_ident(&s.name)
            ),
            Change::RenameTable { table, from } => write!(
                f,
                "alter table {} rename to {}",
                qualified(&table.schema, from),
                quote_ident(&table.name)
            ),
            Change::RenameColumn { table, from, to } => write!(
                f,
                "{} rename column {} to {}",
                alter(table),
                quote_ident(from),
                quote_ident(to)
            ),
            Change::RenameConstraint { table, from, to } => write!(
                f,
                "{} rename constraint {} to {}",
                alter(table),
                quote_ident(from),
                quote_ident(to)
            ),
            Change::RenameIndex { table, from, to } => write!(
                f,
                "alter index {} rename to {}",
                qualified(&table.schema, from),
                quote_ident(to)
            ),
            Change::DropPolicy { table, name } => write!(
                f,
                "drop policy {} on {}",
                quote_ident(name),
                qualified(&table.schema, &table.name)
            ),
            Change::DropFunction(func) => {
                write!(f, "drop function {}", ddl::function_signature(func))
            }
            Change::DropForeignKey { table, name } | Change::DropConstraint { table, name } => {
                write!(f, "{} drop constraint {}", alter(table), quote_ident(name))
            }
            Change::DropTable(t) => write!(f, "drop table {}", qualified(&t.schema, &t.name)),
            Change::DropIndex { table, name } => {
                write!(f, "drop index {}", qualified(&table.schema, name))
            }
            Change::DropColumn { table, column } => {
                write!(f, "{} drop column {}", alter(table), quote_ident(column))
            }
            Change::DropDefault { table, column } => {
                write!(f, "{} drop default", alter_column(table, column))
            }
            Change::AlterType {
                table,
                column,
                from,
            } => {
                write!(
                    f,
                    "{} type {}",
                    alter_column(table, &column.name),
                    column.ty.sql()
                )?;
                if conversion(*from, column.ty) != Conversion::Implicit {
                    write!(
                        f,
                        " using {}::{}",
                        quote_ident(&column.name),
                        column.ty.sql()
                    )?;
                }
                Ok(())
            }
            Change::SetDefault { table, column } => write!(
                f,
                "{} set default {}",
                alter_column(table, &column.name),
                ddl::default_expr(column).unwrap_or_else(|| "null".into())
            ),
            Change::SetNotNull { table, column } => {
                write!(f, "{} set not null", alter_column(table, column))
            }
            Change::SetExpression { table, column } => write!(
                f,
                "{} set expression as ({})",
                alter_column(table, &column.name),
                column.generated.as_deref().unwrap_or("null")
            ),
            Change::DropExpression { table, column } => {
                write!(f, "{} drop expression", alter_column(table, column))
            }
            Change::DropNotNull { table, column } => {
                write!(f, "{} drop not null", alter_column(table, column))
            }
            Change::AddColumn { table, column } => {
                write!(f, "{} add column {}", alter(table), ddl::column(column))
            }
            Change::CreateTable(t) => {
                let mut lines: Vec<String> = t.columns.iter().map(ddl::column).collect();
                lines.extend(ddl::primary_key(t));
                lines.extend(t.uniques.iter().map(|u| ddl::unique(&u.name, &u.columns)));
                lines.extend(t.checks.iter().map(ddl::check));
                write!(
                    f,
                    "create table {} (\n  {}\n)",
                    qualified(&t.schema, &t.name),
                    lines.join(",\n  ")
                )
            }
            Change::AddConstraint { table, definition } => {
                write!(f, "{} add {definition}", alter(table))
            }
            Change::CreateIndex { table, index } => f.write_str(&ddl::create_index(table, index)),
            Change::AddForeignKey { table, foreign_key } => {
                f.write_str(&ddl::add_foreign_key(table, foreign_key))
            }
            Change::CommentOnTable(t) => {
                f.write_str(&ddl::comment_on_table(t, t.comment.as_deref()))
            }
            Change::CommentOnColumn { table, column } => f.write_str(&ddl::comment_on_column(
                table,
                &column.name,
                column.comment.as_deref(),
            )),
            Change::EnableRls(t) => write!(f, "{} enable row level security", alter(t)),
            Change::DisableRls(t) => write!(f, "{} disable row level security", alter(t)),
            Change::RevokeTable { table, role } => write!(
                f,
                "revoke all on table {} from {}",
                qualified(&table.schema, &table.name),
                ddl::role(role)
            ),
            Change::GrantTable { table, grant } => {
                f.write_str(&ddl::grant(table, grant).unwrap_or_default())
            }
            Change::CreateFunction { function, .. } => f.write_str(&ddl::create_function(function)),
            Change::CommentOnFunction(func) => {
                f.write_str(&ddl::comment_on_function(func, func.comment.as_deref()))
            }
            Change::RevokeExecute { function, roles } => write!(
                f,
                "revoke execute on function {} from {}",
                ddl::function_signature(function),
                ddl::roles(roles)
            ),
            Change::GrantExecute { function, roles } => write!(
                f,
                "grant execute on function {} to {}",
                ddl::function_signature(function),
                ddl::roles(roles)
            ),
            Change::CreatePolicy { table, policy } => {
                f.write_str(&ddl::create_policy(table, policy))
            }
            Change::DropSchema(s) => write!(f, "drop schema {}", quote_ident(&s.name)),
            Change::CreateExtension(e) => {
                write!(f, "create extension if not exists {}", quote_ident(e))
            }
            Change::DropView(v) => f.write_str(&ddl::drop_view(v)),
            Change::CreateView(v) => f.write_str(&ddl::create_view(v).join(";\n")),
        }
    }
}

fn schemas<'a>(old: &'a Ir, new: &'a Ir, out: &mut Vec<Change<'a>>) {
    for s in &new.schemas {
        match old.schemas.iter().find(|o| o.name == s.name) {
            None => {
                out.push(Change::CreateSchema(s));
                if s.comment.is_some() {
                    out.push(Change::CommentOnSchema(s));
                }
                if s.exposed {
                    out.push(Change::GrantSchemaUsage(s));
                }
            }
            Some(o) => {
                if o.comment != s.comment {
                    out.push(Change::CommentOnSchema(s));
                }
                match (o.exposed, s.exposed) {
                    (false, true) => out.push(Change::GrantSchemaUsage(s)),
                    (true, false) => out.push(Change::RevokeSchemaUsage(s)),
                    _ => {}
                }
            }
        }
    }
    for o in &old.schemas {
        if !new.schemas.iter().any(|s| s.name == o.name) {
            out.push(Change::DropSchema(o));
        }
    }
}

/// The tables and columns of two models, paired by name or `renamed_from`.
struct Pairing<'a> {
    /// (old, new) tables, in the new model's order.
    pairs: Vec<TablePair<'a>>,
    /// Tables only the new model has, in its order.
    created: Vec<&'a Table>,
    /// Tables only the old model has, dependents first.
    dropped: Vec<&'a Table>,
    /// Old (schema, table) to new table name.
    table_names: BTreeMap<(&'a str, &'a str), &'a str>,
    /// Old (schema, table, column) to new column name.
    column_names: BTreeMap<(&'a str, &'a str, &'a str), &'a str>,
    /// New (schema, table, column) of the columns whose type changes.
    retyped: BTreeSet<(&'a str, &'a str, &'a str)>,
}

struct TablePair<'a> {
    old: &'a Table,
    new: &'a Table,
    /// (old, new) columns, in the new table's order.
    columns: Vec<(&'a Column, &'a Column)>,
    added: Vec<&'a Column>,
    dropped: Vec<&'a Column>,
}

impl<'a> Pairing<'a> {
    fn new(old: &'a Ir, new: &'a Ir) -> Pairing<'a> {
        let find = |schema: &str, name: &str| {
            old.tables
                .iter()
                .find(|t| t.schema == schema && t.name == name)
        };
        let mut pairs = Vec::new();
        let mut created = Vec::new();
        let mut paired_old: BTreeSet<(&str, &str)> = BTreeSet::new();
        for t in &new.tables {
            let previous = find(&t.schema, &t.name).or_else(|| {
                let from = t.renamed_from.as_deref()?;
                let taken = new
                    .tables
                    .iter()
                    .any(|o| o.schema == t.schema && o.name == from);
                if taken { None } else { find(&t.schema, from) }
            });
            match previous {
                Some(o) => {
                    paired_old.insert((&o.schema, &o.name));
                    pairs.push(TablePair::new(o, t));
                }
                None => created.push(t),
            }
        }
        let dropped = old
            .tables
            .iter()
            .rev()
            .filter(|t| !paired_old.contains(&(t.schema.as_str(), t.name.as_str())))
            .collect();
        let mut table_names = BTreeMap::new();
        let mut column_names = BTreeMap::new();
        let mut retyped = BTreeSet::new();
        for p in &pairs {
            table_names.insert(
                (p.old.schema.as_str(), p.old.name.as_str()),
                p.new.name.as_str(),
            );
            for (oc, nc) in &p.columns {
                column_names.insert(
                    (p.old.schema.as_str(), p.old.name.as_str(), oc.name.as_str()),
                    nc.name.as_str(),
                );
                if oc.ty != nc.ty {
                    retyped.insert((p.new.schema.as_str(), p.new.name.as_str(), nc.name.as_str()));
                }
            }
        }
        Pairing {
            pairs,
            created,
            dropped,
            table_names,
            column_names,
            retyped,
        }
    }

    /// The new name of an old table's column (the old name when it is not kept).
    fn column(&self, schema: &str, table: &str, column: &str) -> String {
        self.column_names
            .get(&(schema, table, column))
            .map_or(column, |c| c)
            .to_string()
    }

    /// The new name of an old table (the old name when it is not kept).
    fn table(&self, schema: &str, table: &str) -> String {
        self.table_names
            .get(&(schema, table))
            .map_or(table, |t| t)
            .to_string()
    }

    fn is_retyped(&self, schema: &str, table: &str, column: &str) -> bool {
        self.retyped.contains(&(schema, table, column))
    }
}

impl<'a> TablePair<'a> {
    fn new(old: &'a Table, new: &'a Table) -> TablePair<'a> {
        let mut columns = Vec::new();
        let mut added = Vec::new();
        let mut paired: BTreeSet<&str> = BTreeSet::new();
        for c in &new.columns {
            let previous = old.column(&c.name).or_else(|| {
                let from = c.renamed_from.as_deref()?;
                if new.column(from).is_some() {
                    None
                } else {
                    old.column(from)
                }
            });
            match previous {
                // A plain column cannot become a generated one in place: it is dropped and
                // added again (which the spec must allow, as its values go).
                Some(o) if o.generated.is_some() || c.generated.is_none() => {
                    paired.insert(&o.name);
                    columns.push((o, c));
                }
                _ => added.push(c),
            }
        }
        let dropped = old
            .columns
            .iter()
            .filter(|c| !paired.contains(c.name.as_str()))
            .collect();
        TablePair {
            old,
            new,
            columns,
            added,
            dropped,
        }
    }
}

/// A named object of a table (constraint or index) and a text that is equal for two
/// objects exactly when they are the same object up to its name.
#[derive(Debug)]
struct Named {
    name: String,
    key: String,
}

/// How the named objects of an old and a new table correspond.
#[derive(Debug, Default)]
struct Matching {
    /// (old name, new name) of objects that only change name.
    renamed: Vec<(String, String)>,
    /// Old names of objects to drop.
    dropped: Vec<String>,
    /// Indexes (into the new list) of objects to create.
    added: Vec<usize>,
}

fn match_named(old: &[Named], new: &[Named]) -> Matching {
    let mut used = vec![false; old.len()];
    let mut pending = Vec::new();
    for (i, n) in new.iter().enumerate() {
        match old.iter().position(|o| o.name == n.name && o.key == n.key) {
            Some(j) => used[j] = true,
            None => pending.push(i),
        }
    }
    let mut m = Matching::default();
    for i in pending {
        let n = &new[i];
        let free_name = !old.iter().any(|o| o.name == n.name);
        let same = old
            .iter()
            .enumerate()
            .position(|(j, o)| !used[j] && o.key == n.key && !new.iter().any(|x| x.name == o.name));
        match same {
            Some(j) if free_name => {
                used[j] = true;
                m.renamed.push((old[j].name.clone(), n.name.clone()));
            }
            _ => m.added.push(i),
        }
    }
    m.dropped = old
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(o, _)| o.name.clone())
        .collect();
    m
}

fn tables<'a>(p: &Pairing<'a>, out: &mut Vec<Change<'a>>) {
    // Tables whose primary key or unique constraints are dropped: foreign keys that point
    // at them depend on those constraints, so they are dropped and added again too.
    let mut rekeyed: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut constraint_matches = Vec::new();
    for pair in &p.pairs {
        let m = match_named(&old_constraints(p, pair), &new_constraints(pair.new));
        let keys: BTreeSet<String> = pair
            .old
            .uniques
            .iter()
            .map(|u| u.name.clone())
            .chain((!pair.old.primary_key.is_empty()).then(|| pair.old.primary_key_name()))
            .collect();
        if m.dropped.iter().any(|d| keys.contains(d)) {
            rekeyed.insert((&pair.new.schema, &pair.new.name));
        }
        constraint_matches.push(m);
    }
    let retyped_tables: BTreeSet<&str> = p.retyped.iter().map(|(_, t, _)| *t).collect();

    for (pair, constraints) in p.pairs.iter().zip(constraint_matches) {
        let (o, t) = (pair.old, pair.new);
        if o.name != t.name {
            out.push(Change::RenameTable {
                table: t,
                from: &o.name,
            });
        }
        for (oc, nc) in &pair.columns {
            if oc.name != nc.name {
                out.push(Change::RenameColumn {
                    table: t,
                    from: &oc.name,
                    to: &nc.name,
                });
            }
        }

        // Primary key, unique and check constraints.
        let new_cons = new_constraints(t);
        for (from, to) in constraints.renamed {
            out.push(Change::RenameConstraint { table: t, from, to });
        }
        for name in constraints.dropped {
            out.push(Change::DropConstraint { table: t, name });
        }
        for i in constraints.added {
            out.push(Change::AddConstraint {
                table: t,
                definition: format!(
                    "constraint {} {}",
                    quote_ident(&new_cons[i].name),
                    new_cons[i].key
                ),
            });
        }

        // Indexes.
        let old_idx: Vec<Named> = o
            .indexes
            .iter()
            .map(|i| Named {
                name: i.name.clone(),
                key: index_key(i, |c| p.column(&o.schema, &o.name, c)),
            })
            .collect();
        // An index on a column added in this migration is new, even when an old index had
        // the same definition (its column, dropped and added again, took it along).
        let new_idx: Vec<Named> = t
            .indexes
            .iter()
            .map(|i| Named {
                name: i.name.clone(),
                key: if i
                    .columns
                    .iter()
                    .any(|c| pair.added.iter().any(|a| a.name == c.name))
                {
                    String::new()
                } else {
                    index_key(i, str::to_string)
                },
            })
            .collect();
        let m = match_named(&old_idx, &new_idx);
        for (from, to) in m.renamed {
            out.push(Change::RenameIndex { table: t, from, to });
        }
        for name in m.dropped {
            out.push(Change::DropIndex { table: t, name });
        }
        for i in m.added {
            out.push(Change::CreateIndex {
                table: t,
                index: &t.indexes[i],
            });
        }

        // Foreign keys.
        let forced = |fk: &ForeignKey, schema: &str, table: &str| {
            rekeyed.contains(&(fk.ref_schema.as_str(), fk.ref_table.as_str()))
                || fk.columns.iter().any(|c| p.is_retyped(schema, table, c))
                || fk
                    .ref_columns
                    .iter()
                    .any(|c| p.is_retyped(&fk.ref_schema, &fk.ref_table, c))
        };
        let old_fks: Vec<Named> = o
            .foreign_keys
            .iter()
            .map(|fk| Named {
                name: fk.name.clone(),
                key: fk_key(
                    fk,
                    |c| p.column(&o.schema, &o.name, c),
                    &p.table(&fk.ref_schema, &fk.ref_table),
                    |c| p.column(&fk.ref_schema, &fk.ref_table, c),
                ),
            })
            .collect();
        let new_fks: Vec<Named> = t
            .foreign_keys
            .iter()
            .map(|fk| Named {
                name: fk.name.clone(),
                key: if forced(fk, &t.schema, &t.name) {
                    // Never equal to an old key: the foreign key is dropped and added again.
                    String::new()
                } else {
                    fk_key(fk, str::to_string, &fk.ref_table, str::to_string)
                },
            })
            .collect();
        let m = match_named(&old_fks, &new_fks);
        for (from, to) in m.renamed {
            out.push(Change::RenameConstraint { table: t, from, to });
        }
        for name in m.dropped {
            out.push(Change::DropForeignKey { table: t, name });
        }
        for i in m.added {
            out.push(Change::AddForeignKey {
                table: t,
                foreign_key: &t.foreign_keys[i],
            });
        }

        // Columns.
        for c in &pair.dropped {
            out.push(Change::DropColumn {
                table: t,
                column: &c.name,
            });
        }
        for (oc, nc) in &pair.columns {
            column_changes(t, oc, nc, out);
        }
        for c in &pair.added {
            out.push(Change::AddColumn {
                table: t,
                column: c,
            });
            if c.comment.is_some() {
                out.push(Change::CommentOnColumn {
                    table: t,
                    column: c,
                });
            }
        }
        if o.comment != t.comment {
            out.push(Change::CommentOnTable(t));
        }

        // Row level security and policies. A policy that reads a column whose type changes
        // keeps Postgres from changing it, so such policies are made again.
        match (o.rls, t.rls) {
            (false, true) => out.push(Change::EnableRls(t)),
            (true, false) => out.push(Change::DisableRls(t)),
            _ => {}
        }
        let touched = |pol: &Policy| {
            retyped_tables.iter().any(|r| {
                *r == t.name
                    || [&pol.using, &pol.with_check]
                        .into_iter()
                        .flatten()
                        .any(|e| e.contains(r))
            })
        };
        for op in &o.policies {
            match t.policies.iter().find(|np| np.name == op.name) {
                Some(np) if np == op && !touched(np) => {}
                _ => out.push(Change::DropPolicy {
                    table: t,
                    name: &op.name,
                }),
            }
        }
        for np in &t.policies {
            match o.policies.iter().find(|op| op.name == np.name) {
                Some(op) if op == np && !touched(np) => {}
                _ => out.push(Change::CreatePolicy {
                    table: t,
                    policy: np,
                }),
            }
        }

        // Grants: a role whose privileges change loses them all and gets the new ones.
        let roles: BTreeSet<&str> = o
            .grants
            .iter()
            .chain(&t.grants)
            .map(|g| g.role.as_str())
            .collect();
        for role in roles {
            let before = privileges(&o.grants, role);
            let after = t.grants.iter().find(|g| g.role == role);
            if before == after.map(|g| g.privileges.as_slice()).unwrap_or_default() {
                continue;
            }
            if !before.is_empty() {
                out.push(Change::RevokeTable { table: t, role });
            }
            if let Some(g) = after.filter(|g| !g.privileges.is_empty()) {
                out.push(Change::GrantTable { table: t, grant: g });
            }
        }
    }

    for t in &p.created {
        out.push(Change::CreateTable(t));
        if t.comment.is_some() {
            out.push(Change::CommentOnTable(t));
        }
        for c in t.columns.iter().filter(|c| c.comment.is_some()) {
            out.push(Change::CommentOnColumn {
                table: t,
                column: c,
            });
        }
        for index in &t.indexes {
            out.push(Change::CreateIndex { table: t, index });
        }
        for foreign_key in &t.foreign_keys {
            out.push(Change::AddForeignKey {
                table: t,
                foreign_key,
            });
        }
        if t.rls {
            out.push(Change::EnableRls(t));
        }
        for policy in &t.policies {
            out.push(Change::CreatePolicy { table: t, policy });
        }
        for grant in t.grants.iter().filter(|g| !g.privileges.is_empty()) {
            out.push(Change::GrantTable { table: t, grant });
        }
    }

    // Dropped tables go dependents first; a foreign key between two dropped tables that
    // points the other way (a cycle) is dropped before either table.
    for (i, t) in p.dropped.iter().enumerate() {
        for later in &p.dropped[i + 1..] {
            for fk in &later.foreign_keys {
                if fk.ref_schema == t.schema && fk.ref_table == t.name {
                    out.push(Change::DropForeignKey {
                        table: later,
                        name: fk.name.clone(),
                    });
                }
            }
        }
        out.push(Change::DropTable(t));
    }
}

fn column_changes<'a>(t: &'a Table, o: &'a Column, c: &'a Column, out: &mut Vec<Change<'a>>) {
    match (&o.generated, &c.generated) {
        (Some(a), Some(b)) if a != b => out.push(Change::SetExpression {
            table: t,
            column: c,
        }),
        (Some(_), None) => out.push(Change::DropExpression {
            table: t,
            column: &c.name,
        }),
        _ => {}
    }
    let old_default = ddl::default_expr(o);
    let new_default = ddl::default_expr(c);
    if o.ty != c.ty {
        // The old default may not convert to the new type; it is set again afterwards.
        if old_default.is_some() {
            out.push(Change::DropDefault {
                table: t,
                column: &c.name,
            });
        }
        out.push(Change::AlterType {
            table: t,
            column: c,
            from: o.ty,
        });
        if new_default.is_some() {
            out.push(Change::SetDefault {
                table: t,
                column: c,
            });
        }
    } else if old_default != new_default {
        out.push(match new_default {
            Some(_) => Change::SetDefault {
                table: t,
                column: c,
            },
            None => Change::DropDefault {
                table: t,
                column: &c.name,
            },
        });
    }
    match (o.nullable, c.nullable) {
        (true, false) => out.push(Change::SetNotNull {
            table: t,
            column: &c.name,
        }),
        (false, true) => out.push(Change::DropNotNull {
            table: t,
            column: &c.name,
        }),
        _ => {}
    }
    if o.comment != c.comment {
        out.push(Change::CommentOnColumn {
            table: t,
            column: c,
        });
    }
}

fn privileges<'g>(grants: &'g [Grant], role: &str) -> &'g [String] {
    grants
        .iter()
        .find(|g| g.role == role)
        .map(|g| g.privileges.as_slice())
        .unwrap_or_default()
}

/// The primary key, unique and check constraints of a table of the new model.
fn new_constraints(t: &Table) -> Vec<Named> {
    let mut out = Vec::new();
    if !t.primary_key.is_empty() {
        out.push(Named {
            name: t.primary_key_name(),
            key: format!("primary key ({})", ddl::idents(&t.primary_key)),
        });
    }
    for u in &t.uniques {
        out.push(Named {
            name: u.name.clone(),
            key: format!("unique ({})", ddl::idents(&u.columns)),
        });
    }
    for c in &t.checks {
        out.push(Named {
            name: c.name.clone(),
            key: format!("check ({})", c.expr),
        });
    }
    out
}

/// The constraints of a table of the old model, with column names as the new model has
/// them. Checks refer to renamed columns by their new names where they quote them (as
/// generated checks do); Postgres follows a rename inside a check on its own.
fn old_constraints(p: &Pairing<'_>, pair: &TablePair<'_>) -> Vec<Named> {
    let o = pair.old;
    let rename = |cols: &[String]| -> Vec<String> {
        cols.iter()
            .map(|c| p.column(&o.schema, &o.name, c))
            .collect()
    };
    let mut out = Vec::new();
    if !o.primary_key.is_empty() {
        out.push(Named {
            name: o.primary_key_name(),
            key: format!("primary key ({})", ddl::idents(&rename(&o.primary_key))),
        });
    }
    for u in &o.uniques {
        out.push(Named {
            name: u.name.clone(),
            key: format!("unique ({})", ddl::idents(&rename(&u.columns))),
        });
    }
    for c in &o.checks {
        let mut expr = c.expr.clone();
        for (oc, nc) in &pair.columns {
            if oc.name != nc.name {
                expr = expr.replace(&quote_ident(&oc.name), &quote_ident(&nc.name));
            }
        }
        out.push(Named {
            name: c.name.clone(),
            key: format!("check ({expr})"),
        });
    }
    out
}

fn index_key(i: &Index, column: impl Fn(&str) -> String) -> String {
    let cols: Vec<String> = i
        .columns
        .iter()
        .map(|c| ddl::index_column(c, &column))
        .collect();
    format!(
        "{}using {} ({})",
        if i.unique { "unique " } else { "" },
        i.method,
        cols.join(", ")
    )
}

fn fk_key(
    fk: &ForeignKey,
    column: impl Fn(&str) -> String,
    ref_table: &str,
    ref_column: impl Fn(&str) -> String,
) -> String {
    let cols: Vec<String> = fk.columns.iter().map(|c| column(c)).collect();
    let refs: Vec<String> = fk.ref_columns.iter().map(|c| ref_column(c)).collect();
    format!(
        "foreign key ({}) references {} ({}) on delete {}",
        ddl::idents(&cols),
        qualified(&fk.ref_schema, ref_table),
        ddl::idents(&refs),
        fk.on_delete.sql()
    )
}

/// Views hold no data, so any change among them, or any change of the tables and
/// functions they might read that Postgres would refuse under a view (a retype, a dropped
/// column, table or function, a rename, a new generated expression), drops every old view,
/// dependents first, and creates every new one in declaration order.
fn views<'a>(old: &'a Ir, new: &'a Ir, out: &mut Vec<Change<'a>>) {
    let blocking = out.iter().any(|c| {
        matches!(
            c,
            Change::AlterType { .. }
                | Change::DropColumn { .. }
                | Change::DropTable(_)
                | Change::DropFunction(_)
                | Change::RenameTable { .. }
                | Change::RenameColumn { .. }
                | Change::SetExpression { .. }
                | Change::DropExpression { .. }
        )
    });
    let same = old.views.len() == new.views.len()
        && old
            .views
            .iter()
            .zip(&new.views)
            .all(|(o, n)| o.database_key() == n.database_key());
    let in_the_way = blocking && !old.views.is_empty();
    if same && !in_the_way {
        return;
    }
    out.extend(old.views.iter().rev().map(Change::DropView));
    out.extend(new.views.iter().map(Change::CreateView));
}

fn functions<'a>(old: &'a Ir, new: &'a Ir, out: &mut Vec<Change<'a>>) {
    for f in &new.functions {
        let previous = old
            .functions
            .iter()
            .find(|o| o.schema == f.schema && o.name == f.name);
        let Some(o) = previous.filter(|o| o.args == f.args && o.returns == f.returns) else {
            // New, or its arguments or return type changed: drop (if it exists) and create.
            if let Some(o) = previous {
                out.push(Change::DropFunction(o));
            }
            out.push(Change::CreateFunction {
                function: f,
                new: previous.is_none(),
            });
            if f.comment.is_some() {
                out.push(Change::CommentOnFunction(f));
            }
            out.push(Change::RevokeExecute {
                function: f,
                roles: vec!["public".into()],
            });
            if !f.grants.is_empty() {
                out.push(Change::GrantExecute {
                    function: f,
                    roles: f.grants.clone(),
                });
            }
            continue;
        };
        if (&o.body, &o.volatility, &o.language, o.security_definer)
            != (&f.body, &f.volatility, &f.language, f.security_definer)
        {
            out.push(Change::CreateFunction {
                function: f,
                new: false,
            });
        }
        if o.comment != f.comment {
            out.push(Change::CommentOnFunction(f));
        }
        let revoked: Vec<String> = o
            .grants
            .iter()
            .filter(|r| !f.grants.contains(r))
            .cloned()
            .collect();
        let granted: Vec<String> = f
            .grants
            .iter()
            .filter(|r| !o.grants.contains(r))
            .cloned()
            .collect();
        if !revoked.is_empty() {
            out.push(Change::RevokeExecute {
                function: f,
                roles: revoked,
            });
        }
        if !granted.is_empty() {
            out.push(Change::GrantExecute {
                function: f,
                roles: granted,
            });
        }
    }
    for o in &old.functions {
        if !new
            .functions
            .iter()
            .any(|f| f.schema == o.schema && f.name == o.name)
        {
            out.push(Change::DropFunction(o));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> SqlType {
        SqlType::parse(s).expect("a type")
    }

    #[test]
    fn conversions() {
        let c = |from: &str, to: &str| conversion(ty(from), ty(to));
        assert_eq!(c("integer", "bigint"), Conversion::Implicit);
        assert_eq!(c("uuid", "text"), Conversion::Implicit);
        assert_eq!(c("real", "double precision"), Conversion::Implicit);
        assert_eq!(c("json", "jsonb"), Conversion::Cast);
        assert_eq!(c("timestamp", "timestamptz"), Conversion::Cast);
        assert_eq!(c("integer[]", "bigint[]"), Conversion::Cast);
        assert_eq!(c("text", "integer"), Conversion::Lossy);
        assert_eq!(c("bigint", "integer"), Conversion::Lossy);
        assert_eq!(c("numeric", "integer"), Conversion::Lossy);
        assert_eq!(c("text", "text[]"), Conversion::Lossy);
        assert_eq!(c("timestamptz", "date"), Conversion::Lossy);
    }
}
