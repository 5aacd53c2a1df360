//! `ferrobase spec import`: spec files read back from an existing database.
//!
//! This runs the build in the other direction: where codegen turns `spec/*.yaml` into
//! migrations, [`import`] reads a database's catalog (`pg_catalog`) and writes one spec file
//! per schema, in the format of `docs/spec.md`, so that a database made by other means can
//! adopt the framework.
//! What the file declares is what the database holds: applying the spec from scratch gives
//! the same catalog back, apart from what the file's notes list, so the first migration of
//! an imported spec changes nothing.
//! Two readings make that hold: a CHECK in exactly the shape that `length`, `enum` and
//! `range` generate becomes those value constraints again (so requests are validated as
//! before), and a policy's `( SELECT auth.uid() AS uid)` is written `(select auth.uid())`,
//! which codegen leaves as it is instead of wrapping it once more.
//!
//! The spec format is smaller than PostgreSQL. A column it cannot describe (a type outside
//! the spec's list, an identity or virtual generated column) stops the import, naming every
//! such column, because a table without it would be a different table. Views come back
//! with their query as Postgres prints it. Other objects it has no
//! place for (materialized views, triggers, partial indexes, grants to other roles, ...) stay in the
//! database untouched; the import lists them at the top of the file and in
//! [`ImportedSpec::notes`].
//!
//! The import reads everything in one read-only transaction with an empty `search_path`,
//! so that every expression Postgres prints back is schema-qualified.
//! It never depends on codegen: the output types below mirror the spec format field by field.

use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use std::collections::{BTreeMap, BTreeSet};

/// Schemas left out unless asked for by name: the framework's own and those of a Supabase
/// project's platform, whose tables belong to the platform rather than to the application.
pub const PLATFORM_SCHEMAS: &[&str] = &[
    "ferrobase",
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "supabase_functions",
    "supabase_migrations",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "graphql",
    "graphql_public",
    "extensions",
    "net",
    "cron",
    "pgbouncer",
    "_analytics",
];

/// The column types of the spec format, as `format_type` prints them, with their spec names.
const TYPES: &[(&str, &str)] = &[
    ("uuid", "uuid"),
    ("text", "text"),
    ("boolean", "boolean"),
    ("smallint", "smallint"),
    ("integer", "integer"),
    ("bigint", "bigint"),
    ("real", "real"),
    ("double precision", "double precision"),
    ("numeric", "numeric"),
    ("jsonb", "jsonb"),
    ("json", "json"),
    ("timestamp with time zone", "timestamptz"),
    ("timestamp without time zone", "timestamp"),
    ("date", "date"),
    ("time without time zone", "time"),
    ("bytea", "bytea"),
    ("tsvector", "tsvector"),
];

/// The roles a spec may grant to or write policies for.
const API_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// Table privileges the spec knows, besides `all`.
const PRIVILEGES: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
];

/// The index methods the spec knows.
const INDEX_METHODS: &[&str] = &["btree", "hash", "gin", "gist", "brin", "hnsw", "ivfflat"];

/// The auth helpers that policies call inside a sub-select (see `docs/spec.md`).
const AUTH_HELPERS: &[&str] = &["auth.uid()", "auth.jwt()", "auth.role()", "auth.email()"];

/// One spec file read from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedSpec {
    /// The schema.
    pub schema: String,
    /// `<schema>.yaml`.
    pub file_name: String,
    /// The file's text: a comment header, then the spec.
    pub yaml: String,
    /// What the file leaves out or describes differently from the database, one sentence
    /// each; the header of `yaml` lists them too.
    pub notes: Vec<String>,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the catalog failed.
    #[error("import: database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A schema asked for by name does not exist.
    #[error("import: the database has no schema `{0}`")]
    NoSuchSchema(String),
    /// No schema was named and none holds tables or functions of its own.
    #[error(
        "import: the database has no schema with tables or functions outside the platform's \
         ({}); name one with --schema",
        PLATFORM_SCHEMAS.join(", ")
    )]
    NothingToImport,
    /// Columns (or names) the spec format cannot describe; nothing was written.
    #[error(
        "import: the spec format cannot describe the following, so nothing was imported:\n{}",
        .0.iter().map(|u| format!("  {u}")).collect::<Vec<_>>().join("\n")
    )]
    Unsupported(Vec<Unsupported>),
}

/// A column, or the name of a schema or table, that the spec format cannot describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// `schema.table.column`, or `schema.table` and `schema` for their own names.
    pub object: String,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What keeps an object out of the spec format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A column type outside the spec's list, as Postgres prints it.
    Type(String),
    /// `generated ... as identity`.
    Identity,
    /// `generated always as (...)`.
    Generated,
    /// A name that is not a lowercase identifier.
    Name,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let object = &self.object;
        match &self.problem {
            Problem::Type(ty) => write!(
                f,
                "{object}: type {ty} is not one of the spec's types ({}, or an array of one; \
                 tsvector; vector(N))",
                TYPES
                    .iter()
                    .filter(|(_, spec)| *spec != "tsvector")
                    .map(|(_, spec)| *spec)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Problem::Identity => write!(
                f,
                "{object}: identity columns (`generated ... as identity`) are not in the spec \
                 format"
            ),
            Problem::Generated => write!(
                f,
                "{object}: virtual generated columns are not in the spec format (stored ones \
                 are)"
            ),
            Problem::Name => write!(
                f,
                "{object}: the spec's names are lowercase letters, digits and underscores, \
                 starting with a letter or underscore"
            ),
        }
    }
}

/// Reads `schemas` (or, when empty, every schema with tables or functions of its own
/// except [`PLATFORM_SCHEMAS`]) and returns one spec file per schema, sorted by schema.
///
/// Fails without writing anything when a column cannot be described (see [`Unsupported`]).
pub async fn import(pool: &PgPool, schemas: &[String]) -> Result<Vec<ImportedSpec>, ImportError> {
    let mut tx = pool.begin().await?;
    sqlx::raw_sql(
        "set transaction isolation level repeatable read, read only;
         set local search_path = '';",
    )
    .execute(&mut *tx)
    .await?;
    let schemas = match schemas {
        [] => default_schemas(&mut tx).await?,
        named => {
            let mut out = Vec::new();
            for s in named {
                let exists: bool = sqlx::query_scalar(
                    "select exists (select from pg_catalog.pg_namespace where nspname = $1)",
                )
                .bind(s)
                .fetch_one(&mut *tx)
                .await?;
                if !exists {
                    return Err(ImportError::NoSuchSchema(s.clone()));
                }
                if !out.contains(s) {
                    out.push(s.clone());
                }
            }
            out.sort();
            out
        }
    };
    if schemas.is_empty() {
        return Err(ImportError::NothingToImport);
    }
    let all_privileges: Vec<String> = sqlx::query_scalar(
        "select array(select distinct lower(privilege_type)
                      from pg_catalog.aclexplode(pg_catalog.acldefault('r', 10::oid)))::text[]",
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut importer = Importer {
        schemas: &schemas,
        all_privileges,
        platform_functions: platform_functions(),
        unsupported: Vec::new(),
    };
    let mut files = Vec::new();
    for schema in &schemas {
        files.push(importer.schema(&mut tx, schema).await?);
    }
    tx.rollback().await?;
    if !importer.unsupported.is_empty() {
        return Err(ImportError::Unsupported(importer.unsupported));
    }
    Ok(files)
}

/// Every schema with tables or functions that are not an extension's, minus the platform's.
async fn default_schemas(conn: &mut PgConnection) -> Result<Vec<String>, ImportError> {
    let excluded: Vec<String> = PLATFORM_SCHEMAS.iter().map(|s| s.to_string()).collect();
    let names = sqlx::query_scalar(
        "select n.nspname::text from pg_catalog.pg_namespace n
         where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
           and n.nspname <> all($1)
           and not exists (select from pg_catalog.pg_depend d
                           where d.classid = 'pg_catalog.pg_namespace'::regclass
                             and d.objid = n.oid and d.deptype = 'e')
           and (exists (select from pg_catalog.pg_class c
                        where c.relnamespace = n.oid and c.relkind in ('r', 'p')
                          and not exists (select from pg_catalog.pg_depend d
                                          where d.classid = 'pg_catalog.pg_class'::regclass
                                            and d.objid = c.oid and d.deptype = 'e'))
                or exists (select from pg_catalog.pg_proc p
                           where p.pronamespace = n.oid
                             and not exists (select from pg_catalog.pg_depend d
                                             where d.classid = 'pg_catalog.pg_proc'::regclass
                                               and d.objid = p.oid and d.deptype = 'e')))
         order by 1",
    )
    .bind(&excluded)
    .fetch_all(conn)
    .await?;
    Ok(names)
}

/// The functions the platform migration creates (`auth.uid()` and the like): they come with
/// the runtime, so a spec never declares them.
fn platform_functions() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for m in crate::platform::MIGRATIONS {
        for line in m.sql.lines() {
            let line = line.trim().to_ascii_lowercase();
            let Some(rest) = line
                .strip_prefix("create or replace function ")
                .or_else(|| line.strip_prefix("create function "))
            else {
                continue;
            };
            let name = rest.split('(').next().unwrap_or_default();
            if let Some((schema, function)) = name.split_once('.') {
                out.insert((schema.trim().to_string(), function.trim().to_string()));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The spec format, as written. Field names and meaning follow `docs/spec.md`; fields at
// their default value are left out so the files read like hand-written ones.
// ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct FileOut {
    schema: String,
    #[serde(skip_serializing_if = "is_false")]
    exposed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tables: Vec<TableOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    views: Vec<ViewOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    functions: Vec<FunctionOut>,
}

#[derive(Debug, Serialize)]
struct ViewOut {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    columns: Vec<ViewColumnOut>,
    query: String,
    #[serde(skip_serializing_if = "is_true")]
    security_invoker: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    grants: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Serialize)]
struct ViewColumnOut {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

fn is_true(b: &bool) -> bool {
    *b
}

#[derive(Debug, Serialize)]
struct TableOut {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    columns: Vec<ColumnOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unique: Vec<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checks: Vec<CheckOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    indexes: Vec<IndexOut>,
    #[serde(skip_serializing_if = "is_false")]
    rls: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    policies: Vec<PolicyOut>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    grants: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Serialize)]
struct ColumnOut {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(skip_serializing_if = "is_false")]
    nullable: bool,
    #[serde(skip_serializing_if = "is_false")]
    primary_key: bool,
    #[serde(skip_serializing_if = "is_false")]
    unique: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_sql: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    length: Option<LengthOut>,
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    one_of: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<RangeOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    references: Option<ReferenceOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generated: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct LengthOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct RangeOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<serde_json::Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<serde_json::Number>,
}

#[derive(Debug, Serialize)]
struct ReferenceOut {
    table: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_delete: Option<String>,
}

#[derive(Debug, Serialize)]
struct CheckOut {
    name: String,
    expr: String,
}

#[derive(Debug, Serialize)]
struct IndexOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    columns: Vec<String>,
    #[serde(skip_serializing_if = "is_false")]
    unique: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<String>,
}

#[derive(Debug, Serialize)]
struct PolicyOut {
    name: String,
    command: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    using: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    with_check: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    restrictive: bool,
}

#[derive(Debug, Serialize)]
struct FunctionOut {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    args: Vec<ArgOut>,
    returns: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    volatility: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    security_definer: bool,
    body: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    grants: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ArgOut {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(rename = "type")]
    ty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_sql: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

// ---------------------------------------------------------------------------------------
// Reading the catalog.
// ---------------------------------------------------------------------------------------

struct Importer<'a> {
    /// Every schema of this import, so that references into them need no note.
    schemas: &'a [String],
    /// The privileges `grant all` gives on a table in this Postgres version, lowercase.
    all_privileges: Vec<String>,
    /// `(schema, name)` of the platform's functions.
    platform_functions: BTreeSet<(String, String)>,
    /// Columns that stop the import, over all schemas.
    unsupported: Vec<Unsupported>,
}

/// A column as the catalog holds it.
struct PgColumn {
    table: String,
    name: String,
    /// The name as Postgres prints it inside expressions (quoted when it must be).
    quoted: String,
    ty: String,
    not_null: bool,
    default: Option<String>,
    identity: bool,
    /// Generated and stored (`default` then holds the expression).
    stored: bool,
    /// Generated and computed on read (PostgreSQL 18), which the spec cannot declare.
    virtual_generated: bool,
    comment: Option<String>,
    collated: bool,
    column_grants: bool,
}

impl Importer<'_> {
    async fn schema(
        &mut self,
        conn: &mut PgConnection,
        schema: &str,
    ) -> Result<ImportedSpec, ImportError> {
        let mut notes = Vec::new();
        let row = sqlx::query(
            "select pg_catalog.obj_description(n.oid, 'pg_namespace') as comment,
                    (select count(distinct r.rolname)
                     from pg_catalog.aclexplode(n.nspacl) a
                     join pg_catalog.pg_roles r on r.oid = a.grantee
                     where a.privilege_type = 'USAGE'
                       and r.rolname in ('anon', 'authenticated', 'service_role')) = 3 as exposed
             from pg_catalog.pg_namespace n where n.nspname = $1",
        )
        .bind(schema)
        .fetch_one(&mut *conn)
        .await?;
        // The platform migration lets the API roles use `auth` for its helpers; the schema
        // is still not served on /rest/v1.
        let exposed = schema != "auth" && row.try_get::<bool, _>("exposed")?;
        let comment: Option<String> = row.try_get("comment")?;
        if !valid_ident(schema) {
            self.unsupported.push(Unsupported {
                object: schema.to_string(),
                problem: Problem::Name,
            });
        }

        let relations = sqlx::query(
            "select c.relname::text as name, c.relkind::text as kind, c.relispartition,
                    c.relrowsecurity, c.relforcerowsecurity,
                    pg_catalog.obj_description(c.oid, 'pg_class') as comment
             from pg_catalog.pg_class c
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f')
               and not exists (select from pg_catalog.pg_depend d
                               where d.classid = 'pg_catalog.pg_class'::regclass
                                 and d.objid = c.oid and d.deptype = 'e')
             order by c.relname",
        )
        .bind(schema)
        .fetch_all(&mut *conn)
        .await?;
        let mut tables = Vec::new();
        let mut views = Vec::new();
        for r in &relations {
            let name: String = r.try_get("name")?;
            let kind: String = r.try_get("kind")?;
            let partition: bool = r.try_get("relispartition")?;
            let what = match (kind.as_str(), partition) {
                ("r", false) => None,
                ("r" | "p", true) => Some("partition"),
                ("p", false) => Some("partitioned table"),
                ("m", _) => Some("materialized view"),
                _ => Some("foreign table"),
            };
            if kind == "v" {
                views.push(name);
                continue;
            }
            if let Some(what) = what {
                notes.push(format!("{what} {schema}.{name}"));
                continue;
            }
            if !valid_ident(&name) {
                self.unsupported.push(Unsupported {
                    object: format!("{schema}.{name}"),
                    problem: Problem::Name,
                });
            }
            if r.try_get::<bool, _>("relforcerowsecurity")? {
                notes.push(format!(
                    "{schema}.{name}: row level security is forced for the owner as well \
                     (`force row level security`)"
                ));
            }
            tables.push(TableOut {
                name,
                comment: r.try_get("comment")?,
                columns: Vec::new(),
                unique: Vec::new(),
                checks: Vec::new(),
                indexes: Vec::new(),
                rls: r.try_get("relrowsecurity")?,
                policies: Vec::new(),
                grants: BTreeMap::new(),
            });
        }

        let columns = self.columns(conn, schema).await?;
        for t in &mut tables {
            let cols: Vec<&PgColumn> = columns.iter().filter(|c| c.table == t.name).collect();
            t.columns = cols
                .iter()
                .filter_map(|c| self.column(schema, c, &mut notes))
                .collect();
            self.constraints(conn, schema, t, &cols, &mut notes).await?;
        }
        self.indexes(conn, schema, &mut tables, &mut notes).await?;
        self.policies(conn, schema, &mut tables, &mut notes).await?;
        let mut views = self
            .views(conn, schema, &views, &columns, &mut notes)
            .await?;
        self.grants(conn, schema, &mut tables, &mut views, &mut notes)
            .await?;
        self.triggers(conn, schema, &mut notes).await?;
        let functions = self.functions(conn, schema, &mut notes).await?;

        let file = FileOut {
            schema: schema.to_string(),
            exposed,
            comment,
            tables,
            views,
            functions,
        };
        let body = serde_yaml::to_string(&file).expect("spec values serialize");
        let mut yaml = format!("# Schema `{schema}` as the database held it when imported.\n");
        if !notes.is_empty() {
            yaml.push_str(
                "#\n# What this file leaves out, or says differently from the database:\n",
            );
            for n in &notes {
                yaml.push_str(&format!("# - {}\n", n.replace('\n', " ")));
            }
        }
        yaml.push_str(&body);
        Ok(ImportedSpec {
            schema: schema.to_string(),
            file_name: format!("{schema}.yaml"),
            yaml,
            notes,
        })
    }

    async fn columns(
        &self,
        conn: &mut PgConnection,
        schema: &str,
    ) -> Result<Vec<PgColumn>, ImportError> {
        let rows = sqlx::query(
            "select c.relname::text as table_name, a.attname::text as name,
                    pg_catalog.quote_ident(a.attname) as quoted,
                    pg_catalog.format_type(a.atttypid, a.atttypmod) as ty,
                    a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid) as default_expr,
                    a.attidentity <> '' as identity, a.attgenerated = 's' as stored,
                    a.attgenerated = 'v' as virtual_generated,
                    pg_catalog.col_description(c.oid, a.attnum) as comment,
                    a.attcollation <> t.typcollation as collated,
                    a.attacl is not null as column_grants
             from pg_catalog.pg_attribute a
             join pg_catalog.pg_class c on c.oid = a.attrelid
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             join pg_catalog.pg_type t on t.oid = a.atttypid
             left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
             where n.nspname = $1 and c.relkind in ('r', 'v') and a.attnum > 0 and not a.attisdropped
             order by c.relname, a.attnum",
        )
        .bind(schema)
        .fetch_all(conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PgColumn {
                    table: r.try_get("table_name")?,
                    name: r.try_get("name")?,
                    quoted: r.try_get("quoted")?,
                    ty: r.try_get("ty")?,
                    not_null: r.try_get("attnotnull")?,
                    default: r.try_get("default_expr")?,
                    identity: r.try_get("identity")?,
                    stored: r.try_get("stored")?,
                    virtual_generated: r.try_get("virtual_generated")?,
                    comment: r.try_get("comment")?,
                    collated: r.try_get("collated")?,
                    column_grants: r.try_get("column_grants")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(ImportError::from)
    }

    fn column(&mut self, schema: &str, c: &PgColumn, notes: &mut Vec<String>) -> Option<ColumnOut> {
        let object = format!("{schema}.{}.{}", c.table, c.name);
        let mut problems = Vec::new();
        if !valid_ident(&c.name) {
            problems.push(Problem::Name);
        }
        if c.identity {
            problems.push(Problem::Identity);
        }
        if c.virtual_generated {
            problems.push(Problem::Generated);
        }
        let mapped = spec_type(&c.ty);
        if mapped.is_none() {
            problems.push(Problem::Type(c.ty.clone()));
        }
        if !problems.is_empty() {
            self.unsupported
                .extend(problems.into_iter().map(|problem| Unsupported {
                    object: object.clone(),
                    problem,
                }));
            return None;
        }
        let (ty, max_length) = mapped?;
        if exact_type(&c.ty).is_none() {
            let became = match max_length {
                Some(n) => format!("text with length max {n}"),
                None => ty.clone(),
            };
            notes.push(format!("{object}: {} became {became}", c.ty));
        }
        if c.collated {
            notes.push(format!("{object}: the column's collation"));
        }
        if c.column_grants {
            notes.push(format!("{object}: privileges granted on the column alone"));
        }
        let mut out = ColumnOut {
            name: c.name.clone(),
            ty: ty.clone(),
            nullable: !c.not_null,
            comment: c.comment.clone(),
            length: max_length.map(|max| LengthOut {
                min: None,
                max: Some(max),
            }),
            ..ColumnOut::default()
        };
        if c.stored {
            out.generated = c.default.clone();
            return Some(out);
        }
        if let Some(expr) = &c.default {
            if expr.starts_with("nextval(") {
                notes.push(format!(
                    "{object}: the default {expr} uses a sequence, which the spec does not \
                     declare"
                ));
            }
            match literal_default(expr, &ty) {
                Some(v) => out.default = Some(v),
                None => out.default_sql = Some(expr.clone()),
            }
        }
        Some(out)
    }

    async fn constraints(
        &mut self,
        conn: &mut PgConnection,
        schema: &str,
        t: &mut TableOut,
        cols: &[&PgColumn],
        notes: &mut Vec<String>,
    ) -> Result<(), ImportError> {
        let rows = sqlx::query(
            "select k.conname::text as name, k.contype::text as kind,
                    array(select a.attname::text
                          from unnest(k.conkey) with ordinality u(n, i)
                          join pg_catalog.pg_attribute a
                            on a.attrelid = k.conrelid and a.attnum = u.n
                          order by u.i)::text[] as columns,
                    fn.nspname::text as ref_schema, fc.relname::text as ref_table,
                    array(select a.attname::text
                          from unnest(k.confkey) with ordinality u(n, i)
                          join pg_catalog.pg_attribute a
                            on a.attrelid = k.confrelid and a.attnum = u.n
                          order by u.i)::text[] as ref_columns,
                    k.confdeltype::text as on_delete, k.confupdtype::text as on_update,
                    k.condeferrable, k.convalidated,
                    pg_catalog.pg_get_constraintdef(k.oid) as def
             from pg_catalog.pg_constraint k
             join pg_catalog.pg_class c on c.oid = k.conrelid
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             left join pg_catalog.pg_class fc on fc.oid = k.confrelid
             left join pg_catalog.pg_namespace fn on fn.oid = fc.relnamespace
             where n.nspname = $1 and c.relname = $2 and k.contype in ('p', 'u', 'f', 'c', 'x')
             order by k.oid",
        )
        .bind(schema)
        .bind(&t.name)
        .fetch_all(&mut *conn)
        .await?;
        let table = format!("{schema}.{}", t.name);
        for r in &rows {
            let name: String = r.try_get("name")?;
            let kind: String = r.try_get("kind")?;
            let columns: Vec<String> = r.try_get("columns")?;
            let def: String = r.try_get("def")?;
            let what = format!("{table}: constraint {name} ({def})");
            if r.try_get::<bool, _>("condeferrable")? {
                notes.push(format!("{what} is deferrable"));
            }
            if !r.try_get::<bool, _>("convalidated")? {
                notes.push(format!("{what} is not validated"));
            }
            let derived =
                |suffix: &str| pg_name(&format!("{}_{}_{suffix}", t.name, columns.join("_")));
            match kind.as_str() {
                "p" => {
                    if def != format!("PRIMARY KEY ({})", quoted_list(cols, &columns)) {
                        notes.push(format!("{what}: only the key's columns are imported"));
                    }
                    if name != pg_name(&format!("{}_pkey", t.name)) {
                        notes.push(format!(
                            "{what}: the spec names it {}_pkey; rename it so that later \
                             migrations find it",
                            t.name
                        ));
                    }
                    let in_order: Vec<&String> = t
                        .columns
                        .iter()
                        .map(|c| &c.name)
                        .filter(|c| columns.contains(c))
                        .collect();
                    if in_order
                        .iter()
                        .map(|c| c.as_str())
                        .ne(columns.iter().map(String::as_str))
                    {
                        notes.push(format!(
                            "{what}: the spec orders a primary key's columns as the table does"
                        ));
                    }
                    for c in &mut t.columns {
                        if columns.contains(&c.name) {
                            c.primary_key = true;
                            c.nullable = false;
                        }
                    }
                }
                "u" => {
                    if def != format!("UNIQUE ({})", quoted_list(cols, &columns)) {
                        notes.push(format!("{what}: only the unique columns are imported"));
                    }
                    if name != derived("key") {
                        notes.push(format!(
                            "{what}: the spec names it {}; rename it so that later migrations \
                             find it",
                            derived("key")
                        ));
                    }
                    match columns.as_slice() {
                        [one] => {
                            if let Some(c) = t.columns.iter_mut().find(|c| &c.name == one) {
                                c.unique = true;
                            }
                        }
                        _ => t.unique.push(columns.clone()),
                    }
                }
                "f" => {
                    let ref_schema: String = r.try_get("ref_schema")?;
                    let ref_table: String = r.try_get("ref_table")?;
                    let ref_columns: Vec<String> = r.try_get("ref_columns")?;
                    let on_update: String = r.try_get("on_update")?;
                    let ([column], [ref_column]) = (columns.as_slice(), ref_columns.as_slice())
                    else {
                        notes.push(format!("{what}: the spec's foreign keys have one column"));
                        continue;
                    };
                    if on_update != "a" {
                        notes.push(format!("{what}: the spec has no `on update` action"));
                    }
                    if def.contains(" MATCH FULL") {
                        notes.push(format!("{what}: the spec has no `match full`"));
                    }
                    if name != derived("fkey") {
                        notes.push(format!(
                            "{what}: the spec names it {}; rename it so that later migrations \
                             find it",
                            derived("fkey")
                        ));
                    }
                    if !self.schemas.contains(&ref_schema) {
                        notes.push(format!(
                            "{table}.{column} references {ref_schema}.{ref_table}: keep a spec \
                             file for schema {ref_schema} beside this one (or import it too)"
                        ));
                    }
                    let on_delete = match r.try_get::<String, _>("on_delete")?.as_str() {
                        "r" => Some("restrict"),
                        "c" => Some("cascade"),
                        "n" => Some("set null"),
                        "d" => Some("set default"),
                        _ => None,
                    };
                    if let Some(c) = t.columns.iter_mut().find(|c| &c.name == column) {
                        c.references = Some(ReferenceOut {
                            table: if ref_schema == schema {
                                ref_table
                            } else {
                                format!("{ref_schema}.{ref_table}")
                            },
                            column: (ref_column != "id").then(|| ref_column.clone()),
                            on_delete: on_delete.map(str::to_string),
                        });
                    }
                }
                "c" => {
                    let Some(expr) = check_expr(&def) else {
                        notes.push(format!("{what}: the spec's checks are plain CHECKs"));
                        continue;
                    };
                    if self.value_constraint(t, cols, &name, expr) {
                        continue;
                    }
                    let expr = strip_parens(expr).to_string();
                    t.checks.push(CheckOut { name, expr });
                }
                _ => notes.push(format!("{what}: the spec has no exclusion constraints")),
            }
        }
        Ok(())
    }

    /// Takes a CHECK back into the column's `length`, `enum` or `range` when it is exactly
    /// the check those value constraints generate, so that they validate requests again.
    fn value_constraint(
        &self,
        t: &mut TableOut,
        cols: &[&PgColumn],
        name: &str,
        expr: &str,
    ) -> bool {
        let Some(pg) = cols
            .iter()
            .find(|c| name == pg_name(&format!("{}_{}_check", t.name, c.name)))
        else {
            return false;
        };
        let Some(column) = t.columns.iter_mut().find(|c| c.name == pg.name) else {
            return false;
        };
        let kind = match column.ty.as_str() {
            "text" => ValueKind::Text,
            "smallint" | "integer" | "bigint" | "real" | "double precision" | "numeric" => {
                ValueKind::Number
            }
            _ => return false,
        };
        // A varchar's length already fills `length`; the check stays a check.
        if column.length.is_some() {
            return false;
        }
        let Some(rule) = parse_rule(expr, &pg.quoted, kind) else {
            return false;
        };
        if rule.length != LengthOut::default() {
            column.length = Some(rule.length);
        }
        column.one_of = rule.one_of;
        if rule.range != RangeOut::default() {
            column.range = Some(rule.range);
        }
        true
    }

    async fn indexes(
        &self,
        conn: &mut PgConnection,
        schema: &str,
        tables: &mut [TableOut],
        notes: &mut Vec<String>,
    ) -> Result<(), ImportError> {
        let rows = sqlx::query(
            "select c.relname::text as table_name, i.relname::text as name, am.amname::text as method,
                    x.indisunique,
                    x.indexprs is not null or x.indpred is not null or x.indnkeyatts <> x.indnatts
                      as special,
                    array(select a.attname::text
                          from unnest(x.indkey::int2[]) with ordinality u(n, i)
                          join pg_catalog.pg_attribute a
                            on a.attrelid = x.indrelid and a.attnum = u.n
                          order by u.i)::text[] as columns,
                    array(select u.o from unnest(x.indoption::int2[]) with ordinality u(o, i)
                          order by u.i)::int2[] as options,
                    array(select case when o.opcdefault then '' else o.opcname::text end
                          from unnest(x.indclass::oid[]) with ordinality u(oid, i)
                          join pg_catalog.pg_opclass o on o.oid = u.oid
                          order by u.i)::text[] as opclasses,
                    coalesce((select bool_and(u.coll = 0 or u.coll = 100
                                                    or u.coll = a.attcollation)
                                    from unnest(x.indcollation::oid[], x.indkey::int2[]) u(coll, n)
                                    left join pg_catalog.pg_attribute a
                                      on a.attrelid = x.indrelid and a.attnum = u.n), true)
                      as plain,
                    pg_catalog.pg_get_indexdef(x.indexrelid) as def
             from pg_catalog.pg_index x
             join pg_catalog.pg_class i on i.oid = x.indexrelid
             join pg_catalog.pg_class c on c.oid = x.indrelid
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             join pg_catalog.pg_am am on am.oid = i.relam
             where n.nspname = $1 and c.relkind = 'r'
               and not exists (select from pg_catalog.pg_constraint k
                               where k.conindid = x.indexrelid and k.contype in ('p', 'u', 'x'))
             order by c.relname, x.indexrelid",
        )
        .bind(schema)
        .fetch_all(conn)
        .await?;
        for r in &rows {
            let table: String = r.try_get("table_name")?;
            let name: String = r.try_get("name")?;
            let method: String = r.try_get("method")?;
            let columns: Vec<String> = r.try_get("columns")?;
            let options: Vec<i16> = r.try_get("options")?;
            let opclasses: Vec<String> = r.try_get("opclasses")?;
            let def: String = r.try_get("def")?;
            let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
                continue;
            };
            let plain = !r.try_get::<bool, _>("special")?
                && r.try_get::<bool, _>("plain")?
                && INDEX_METHODS.contains(&method.as_str())
                && options.iter().all(|o| *o == 0 || *o == 3)
                && opclasses.iter().all(|o| o.is_empty() || valid_ident(o));
            if !plain {
                notes.push(format!(
                    "{schema}.{table}: index {name} ({def}): the spec's indexes are on plain \
                     columns, in the default order and collation"
                ));
                continue;
            }
            let with_order: Vec<String> = columns
                .iter()
                .zip(&options)
                .zip(&opclasses)
                .map(|((c, o), class)| {
                    let mut out = c.clone();
                    if !class.is_empty() {
                        out = format!("{out} {class}");
                    }
                    if *o == 3 {
                        out.push_str(" desc");
                    }
                    out
                })
                .collect();
            let derived = pg_name(&format!("{table}_{}_idx", columns.join("_")));
            t.indexes.push(IndexOut {
                name: (name != derived).then_some(name),
                columns: with_order,
                unique: r.try_get("indisunique")?,
                method: (method != "btree").then_some(method),
            });
        }
        Ok(())
    }

    async fn policies(
        &self,
        conn: &mut PgConnection,
        schema: &str,
        tables: &mut [TableOut],
        notes: &mut Vec<String>,
    ) -> Result<(), ImportError> {
        let rows = sqlx::query(
            "select c.relname::text as table_name, p.polname::text as name,
                    p.polcmd::text as command, p.polpermissive,
                    array(select case when r = 0 then 'public'
                                      else pg_catalog.pg_get_userbyid(r)::text end
                          from unnest(p.polroles) r)::text[] as roles,
                    pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_expr,
                    pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_expr
             from pg_catalog.pg_policy p
             join pg_catalog.pg_class c on c.oid = p.polrelid
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where n.nspname = $1
             order by c.relname, p.oid",
        )
        .bind(schema)
        .fetch_all(conn)
        .await?;
        for r in &rows {
            let table: String = r.try_get("table_name")?;
            let name: String = r.try_get("name")?;
            let Some(t) = tables.iter_mut().find(|t| t.name == table) else {
                continue;
            };
            let mut roles: Vec<String> = r.try_get("roles")?;
            if let Some(other) = roles
                .iter()
                .find(|r| !API_ROLES.contains(&r.as_str()) && *r != "public")
            {
                notes.push(format!(
                    "{schema}.{table}: policy \"{name}\" is for role {other}; the spec's \
                     policies are for {} or public",
                    API_ROLES.join(", ")
                ));
                continue;
            }
            if roles == ["public"] {
                roles.clear();
            }
            let command = match r.try_get::<String, _>("command")?.as_str() {
                "r" => "select",
                "a" => "insert",
                "w" => "update",
                "d" => "delete",
                _ => "all",
            };
            let using = r
                .try_get::<Option<String>, _>("using_expr")?
                .map(|e| policy_expr(&e));
            let with_check = r
                .try_get::<Option<String>, _>("check_expr")?
                .map(|e| policy_expr(&e));
            if using
                .iter()
                .chain(&with_check)
                .any(|e| calls_helper_per_row(e))
            {
                notes.push(format!(
                    "{schema}.{table}: policy \"{name}\" calls an auth helper such as \
                     auth.uid() once per row; the spec's policies call it once per statement, \
                     as (select auth.uid())"
                ));
            }
            t.policies.push(PolicyOut {
                name,
                command: command.to_string(),
                roles,
                using,
                with_check,
                restrictive: !r.try_get::<bool, _>("polpermissive")?,
            });
        }
        Ok(())
    }

    /// The views named in `names`, readers after the views they read.
    async fn views(
        &mut self,
        conn: &mut PgConnection,
        schema: &str,
        names: &[String],
        columns: &[PgColumn],
        notes: &mut Vec<String>,
    ) -> Result<Vec<ViewOut>, ImportError> {
        let rows = sqlx::query(
            "select c.relname::text as name, pg_catalog.pg_get_viewdef(c.oid) as query,
                    pg_catalog.obj_description(c.oid, 'pg_class') as comment,
                    coalesce((select o.option_value in ('true', 'on', 'yes', '1')
                              from pg_catalog.pg_options_to_table(c.reloptions) o
                              where o.option_name = 'security_invoker'), false) as invoker,
                    array(select distinct v.relname::text
                          from pg_catalog.pg_rewrite w
                          join pg_catalog.pg_depend d
                            on d.classid = 'pg_catalog.pg_rewrite'::regclass and d.objid = w.oid
                          join pg_catalog.pg_class v on v.oid = d.refobjid
                          where w.ev_class = c.oid and v.oid <> c.oid and v.relkind = 'v'
                            and v.relnamespace = c.relnamespace)::text[] as reads
             from pg_catalog.pg_class c
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where n.nspname = $1 and c.relkind = 'v' and c.relname = any($2)
             order by c.relname",
        )
        .bind(schema)
        .bind(names)
        .fetch_all(conn)
        .await?;
        let mut pending = Vec::new();
        for r in &rows {
            let name: String = r.try_get("name")?;
            let object = format!("{schema}.{name}");
            if !valid_ident(&name) {
                self.unsupported.push(Unsupported {
                    object: object.clone(),
                    problem: Problem::Name,
                });
            }
            let mut out_columns = Vec::new();
            for c in columns.iter().filter(|c| c.table == name) {
                let ty = exact_type(&c.ty).or_else(|| {
                    let (ty, _) = spec_type(&c.ty)?;
                    notes.push(format!("{object}.{}: {} became {ty}", c.name, c.ty));
                    Some(ty)
                });
                match ty {
                    Some(ty) => out_columns.push(ViewColumnOut {
                        name: c.name.clone(),
                        ty,
                        comment: c.comment.clone(),
                    }),
                    None => self.unsupported.push(Unsupported {
                        object: format!("{object}.{}", c.name),
                        problem: Problem::Type(c.ty.clone()),
                    }),
                }
            }
            notes.push(format!(
                "{object}: a view's column nullability and relationships (`references`, for \
                 embedding) are not in the database; declare them if you rely on them"
            ));
            let query: String = r.try_get("query")?;
            let reads: Vec<String> = r.try_get("reads")?;
            pending.push((
                reads,
                ViewOut {
                    name,
                    comment: r.try_get("comment")?,
                    columns: out_columns,
                    query: query.trim().trim_end_matches(';').to_string(),
                    security_invoker: r.try_get("invoker")?,
                    grants: BTreeMap::new(),
                },
            ));
        }
        // Each view after those it reads; a cycle cannot happen in Postgres.
        let mut ordered: Vec<ViewOut> = Vec::new();
        while !pending.is_empty() {
            let ready = pending
                .iter()
                .position(|(reads, _)| reads.iter().all(|r| ordered.iter().any(|v| &v.name == r)))
                .unwrap_or(0);
            ordered.push(pending.remove(ready).1);
        }
        Ok(ordered)
    }

    async fn grants(
        &self,
        conn: &mut PgConnection,
        schema: &str,
        tables: &mut [TableOut],
        views: &mut [ViewOut],
        notes: &mut Vec<String>,
    ) -> Result<(), ImportError> {
        let rows = sqlx::query(
            "select c.relname::text as table_name,
                    case when a.grantee = 0 then 'public'
                         else pg_catalog.pg_get_userbyid(a.grantee)::text end as role,
                    lower(a.privilege_type) as privilege
             from pg_catalog.pg_class c
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace,
                  pg_catalog.aclexplode(c.relacl) a
             where n.nspname = $1 and c.relkind in ('r', 'v') and a.grantee <> c.relowner
             order by 1, 2, 3",
        )
        .bind(schema)
        .fetch_all(conn)
        .await?;
        let mut by_table: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for r in &rows {
            by_table
                .entry((r.try_get("table_name")?, r.try_get("role")?))
                .or_default()
                .insert(r.try_get("privilege")?);
        }
        for ((table, role), privileges) in by_table {
            let target = match tables.iter_mut().find(|t| t.name == table) {
                Some(t) => &mut t.grants,
                None => match views.iter_mut().find(|v| v.name == table) {
                    Some(v) => &mut v.grants,
                    None => continue,
                },
            };
            if !API_ROLES.contains(&role.as_str()) && role != "public" {
                notes.push(format!(
                    "{schema}.{table}: privileges of role {role} ({})",
                    privileges.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
                continue;
            }
            let list = if self.all_privileges.iter().all(|p| privileges.contains(p)) {
                vec!["all".to_string()]
            } else {
                let (known, other): (Vec<String>, Vec<String>) = privileges
                    .into_iter()
                    .partition(|p| PRIVILEGES.contains(&p.as_str()));
                if !other.is_empty() {
                    notes.push(format!(
                        "{schema}.{table}: privilege(s) {} of role {role}",
                        other.join(", ")
                    ));
                }
                known
            };
            if !list.is_empty() {
                target.insert(role, list);
            }
        }
        Ok(())
    }

    async fn triggers(
        &self,
        conn: &mut PgConnection,
        schema: &str,
        notes: &mut Vec<String>,
    ) -> Result<(), ImportError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "select c.relname::text, g.tgname::text
             from pg_catalog.pg_trigger g
             join pg_catalog.pg_class c on c.oid = g.tgrelid
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where n.nspname = $1 and not g.tgisinternal
             order by 1, 2",
        )
        .bind(schema)
        .fetch_all(conn)
        .await?;
        for (table, trigger) in rows {
            notes.push(format!("trigger {trigger} on {schema}.{table}"));
        }
        Ok(())
    }

    async fn functions(
        &self,
        conn: &mut PgConnection,
        schema: &str,
        notes: &mut Vec<String>,
    ) -> Result<Vec<FunctionOut>, ImportError> {
        let rows = sqlx::query(
            "select p.proname::text as name, p.prokind::text as kind, l.lanname::text as language,
                    p.prosecdef, p.provolatile::text as volatility, p.proretset,
                    p.proisstrict or p.proleakproof or p.proparallel <> 'u' as tuned,
                    p.prosrc, coalesce(p.proconfig, '{}')::text[] as config,
                    pg_catalog.obj_description(p.oid, 'pg_proc') as comment,
                    coalesce(p.proargnames, '{}')::text[] as arg_names,
                    p.proargmodes is not null as arg_modes,
                    array(select pg_catalog.format_type(u.t, null)
                          from unnest(p.proargtypes::oid[]) with ordinality u(t, i)
                          order by u.i)::text[] as arg_types,
                    p.pronargdefaults::int4 as default_count,
                    pg_catalog.pg_get_expr(p.proargdefaults, 0) as defaults,
                    pg_catalog.format_type(p.prorettype, null) as returns,
                    rn.nspname::text as row_schema, rc.relname::text as row_table,
                    array(select case when a.grantee = 0 then 'public'
                                      else pg_catalog.pg_get_userbyid(a.grantee)::text end
                          from pg_catalog.aclexplode(
                                 coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                          where a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner
                          order by 1)::text[] as grants
             from pg_catalog.pg_proc p
             join pg_catalog.pg_namespace n on n.oid = p.pronamespace
             join pg_catalog.pg_language l on l.oid = p.prolang
             join pg_catalog.pg_type rt on rt.oid = p.prorettype
             left join pg_catalog.pg_class rc on rc.oid = rt.typrelid and rc.relkind in ('r', 'p')
             left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
             where n.nspname = $1
               and not exists (select from pg_catalog.pg_depend d
                               where d.classid = 'pg_catalog.pg_proc'::regclass
                                 and d.objid = p.oid and d.deptype = 'e')
             order by p.proname, p.oid",
        )
        .bind(schema)
        .fetch_all(conn)
        .await?;
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for r in &rows {
            *seen.entry(r.try_get("name")?).or_default() += 1;
        }
        let mut out = Vec::new();
        for r in &rows {
            let name: String = r.try_get("name")?;
            if self
                .platform_functions
                .contains(&(schema.to_string(), name.clone()))
            {
                continue;
            }
            let what = format!("function {schema}.{name}");
            if seen[&name] > 1 {
                notes.push(format!(
                    "{what}: it is overloaded, and the spec has one function per name"
                ));
                continue;
            }
            match function(schema, r, &what) {
                Ok((f, extra)) => {
                    notes.extend(extra);
                    out.push(f);
                }
                Err(FunctionSkipped(reason)) => notes.push(format!("{what}: {reason}")),
            }
        }
        Ok(out)
    }
}

/// Why a function stays out of the spec.
struct FunctionSkipped(String);

impl From<sqlx::Error> for FunctionSkipped {
    fn from(e: sqlx::Error) -> FunctionSkipped {
        FunctionSkipped(format!("its catalog entry could not be read ({e})"))
    }
}

/// One function in the spec's terms, with notes on what the spec leaves out of it.
fn function(
    schema: &str,
    r: &PgRow,
    what: &str,
) -> Result<(FunctionOut, Vec<String>), FunctionSkipped> {
    let skip = |reason: &str| Err(FunctionSkipped(reason.to_string()));
    let mut notes = Vec::new();
    match r.try_get::<String, _>("kind")?.as_str() {
        "f" => {}
        "p" => return skip("the spec has no procedures"),
        _ => return skip("the spec has no aggregate or window functions"),
    }
    let language: String = r.try_get("language")?;
    if language != "sql" && language != "plpgsql" {
        return skip(&format!(
            "the spec's functions are in sql or plpgsql, not {language}"
        ));
    }
    if r.try_get::<bool, _>("arg_modes")? {
        return skip(
            "the spec's functions have input arguments only (no OUT, INOUT, VARIADIC or TABLE)",
        );
    }
    let security_definer: bool = r.try_get("prosecdef")?;
    let config: Vec<String> = r.try_get("config")?;
    let pinned = ["search_path=\"\"".to_string()];
    if !(config.is_empty() || (security_definer && config == pinned)) {
        return skip(&format!(
            "it sets {}; the spec's functions set nothing but the empty search_path of a \
             security definer",
            config.join(", ")
        ));
    }
    if security_definer && config.is_empty() {
        notes.push(format!(
            "{what}: as a security definer in the spec, it runs with an empty search_path"
        ));
    }
    if r.try_get::<bool, _>("tuned")? {
        notes.push(format!(
            "{what}: strict, leakproof or parallel safety settings"
        ));
    }
    let names: Vec<String> = r.try_get("arg_names")?;
    let types: Vec<String> = r.try_get("arg_types")?;
    let default_count = r.try_get::<i32, _>("default_count")? as usize;
    let defaults: Vec<String> = r
        .try_get::<Option<String>, _>("defaults")?
        .map(|d| {
            split_top(&d, ", ")
                .into_iter()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if defaults.len() != default_count {
        return skip("its argument defaults could not be read apart");
    }
    let mut args = Vec::new();
    for (i, ty) in types.iter().enumerate() {
        let Some(spec_ty) = exact_type(ty) else {
            return skip(&format!(
                "argument type {ty} is not one of the spec's types"
            ));
        };
        let first_default = types.len() - default_count;
        args.push(ArgOut {
            name: names.get(i).cloned().unwrap_or_default(),
            ty: spec_ty,
            default_sql: (i >= first_default).then(|| defaults[i - first_default].clone()),
        });
    }
    let returns: String = r.try_get("returns")?;
    let set: bool = r.try_get("proretset")?;
    let row_table: Option<String> = r.try_get("row_table")?;
    let row_schema: Option<String> = r.try_get("row_schema")?;
    let returns = match (row_table, set) {
        (Some(table), set) if row_schema.as_deref() == Some(schema) => {
            if set {
                format!("setof {table}")
            } else {
                table
            }
        }
        (Some(_), _) => return skip("it returns rows of a table of another schema"),
        (None, true) => {
            return skip(&format!(
                "it returns setof {returns}; the spec's sets are rows of a table"
            ));
        }
        (None, false) if returns == "void" => returns,
        (None, false) => match exact_type(&returns) {
            Some(ty) => ty,
            None => {
                return skip(&format!(
                    "return type {returns} is not one of the spec's types"
                ));
            }
        },
    };
    let volatility = match r.try_get::<String, _>("volatility")?.as_str() {
        "i" => Some("immutable".to_string()),
        "s" => Some("stable".to_string()),
        _ => None,
    };
    let source: String = r.try_get("prosrc")?;
    // The spec's functions are written as `$fn$\n<body>\n$fn$`.
    let body = source.strip_prefix('\n').unwrap_or(&source).to_string();
    if format!("\n{}\n", body.trim_end()) != source {
        notes.push(format!(
            "{what}: the spec writes a body between line breaks, so the whitespace around \
             this one changes"
        ));
    }
    let mut grants: Vec<String> = r.try_get("grants")?;
    if let Some(other) = grants
        .iter()
        .find(|g| !API_ROLES.contains(&g.as_str()) && *g != "public")
    {
        notes.push(format!("{what}: execute privilege of role {other}"));
    }
    grants.retain(|g| API_ROLES.contains(&g.as_str()) || g == "public");
    grants.sort_by_key(|g| {
        API_ROLES
            .iter()
            .position(|r| r == g)
            .unwrap_or(API_ROLES.len())
    });
    Ok((
        FunctionOut {
            name: r.try_get("name")?,
            comment: r.try_get("comment")?,
            args,
            returns,
            volatility,
            language: (language != "sql").then_some(language),
            security_definer,
            body,
            grants,
        },
        notes,
    ))
}

// ---------------------------------------------------------------------------------------
// Text helpers over what Postgres prints back.
// ---------------------------------------------------------------------------------------

/// The spec's type for a type as `format_type` prints it, with the maximum length of a
/// `character varying(n)`, which becomes `text` with `length: {max: n}`.
fn spec_type(pg: &str) -> Option<(String, Option<u32>)> {
    if let Some(v) = vector_type(pg) {
        return Some((v, None));
    }
    let (base, array) = match pg.strip_suffix("[]") {
        Some(b) => (b, true),
        None => (pg, false),
    };
    let (name, max) = if let Some((_, spec)) = TYPES.iter().find(|(p, _)| *p == base) {
        (spec.to_string(), None)
    } else if base == "character varying" {
        ("text".to_string(), None)
    } else {
        let n: u32 = base
            .strip_prefix("character varying(")?
            .strip_suffix(')')?
            .parse()
            .ok()?;
        ("text".to_string(), Some(n))
    };
    Some(if array {
        (format!("{name}[]"), None)
    } else {
        (name, max)
    })
}

/// The spec's type for a type that is one of the spec's as it stands.
fn exact_type(pg: &str) -> Option<String> {
    if let Some(v) = vector_type(pg) {
        return Some(v);
    }
    let (base, array) = match pg.strip_suffix("[]") {
        Some(b) => (b, "[]"),
        None => (pg, ""),
    };
    let (_, spec) = TYPES.iter().find(|(p, _)| *p == base)?;
    Some(format!("{spec}{array}"))
}

/// pgvector's `vector(N)` (dimensions set), as the spec writes it.
fn vector_type(pg: &str) -> Option<String> {
    // `format_type` qualifies the type when its schema is not on the search path.
    let unqualified = pg.rsplit_once('.').map_or(pg, |(_, t)| t);
    if unqualified == "vector" {
        return Some("vector".to_string());
    }
    let n: u32 = unqualified
        .strip_prefix("vector(")?
        .strip_suffix(')')?
        .parse()
        .ok()?;
    (1..=16000).contains(&n).then(|| format!("vector({n})"))
}

/// The spec's name rule: lowercase letters, digits and underscores.
fn valid_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 63
}

/// Names the spec derives are cut to Postgres' 63 bytes, as codegen cuts them.
fn pg_name(s: &str) -> String {
    let mut end = s.len().min(63);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// `a, b` with each column as Postgres prints it.
fn quoted_list(cols: &[&PgColumn], names: &[String]) -> String {
    names
        .iter()
        .map(|n| {
            cols.iter()
                .find(|c| &c.name == n)
                .map(|c| c.quoted.clone())
                .unwrap_or_else(|| n.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column default as a spec literal (`default:`), when the literal renders back to the
/// very same SQL; otherwise the default stays `default_sql`.
fn literal_default(expr: &str, ty: &str) -> Option<serde_json::Value> {
    use serde_json::Value;
    match ty {
        "boolean" => match expr {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        "smallint" | "integer" | "bigint" => {
            if !expr.is_empty() && expr.len() < 16 && expr.bytes().all(|b| b.is_ascii_digit()) {
                expr.parse::<i64>().ok().map(Value::from)
            } else {
                None
            }
        }
        "text" => sql_string(expr.strip_suffix("::text")?).map(Value::String),
        "jsonb" => {
            let text = sql_string(expr.strip_suffix("::jsonb")?)?;
            let value: Value = serde_json::from_str(&text).ok()?;
            // jsonb prints `{"a": 1, "b": [1, 2]}`; a literal comes back as the compact
            // form, which jsonb prints the same only when nothing else differs.
            let compact = text.replace("\": ", "\":").replace(", ", ",");
            (serde_json::to_string(&value).ok()? == compact).then_some(value)
        }
        _ => None,
    }
}

/// The text of a single-quoted SQL string literal, or None for anything else.
fn sql_string(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Inside the literal a quote only comes doubled.
            if chars.next() != Some('\'') {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

/// The expression of `CHECK (expr)` as `pg_get_constraintdef` prints it, or None for a
/// check that is also `NO INHERIT`.
fn check_expr(def: &str) -> Option<&str> {
    let def = def.strip_suffix(" NOT VALID").unwrap_or(def);
    def.strip_prefix("CHECK (")?.strip_suffix(')')
}

/// Where the bracket opened at byte 0 of `s` closes, skipping quoted text.
fn closing(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `s` without one pair of brackets around all of it, or None when there is no such pair.
fn strip_outer(s: &str) -> Option<&str> {
    (s.starts_with('(') && closing(s) == Some(s.len() - 1)).then(|| &s[1..s.len() - 1])
}

/// `s` without one pair of brackets around all of it, if it has one.
fn strip_parens(s: &str) -> &str {
    strip_outer(s).unwrap_or(s)
}

/// `s` split at each `sep` outside brackets and quotes.
fn split_top<'s>(s: &'s str, sep: &str) -> Vec<&'s str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        let c = s[i..].chars().next().expect("in bounds");
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth = depth.saturating_sub(1),
            (None, _) if depth == 0 && s[i..].starts_with(sep) => {
                parts.push(&s[start..i]);
                i += sep.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += c.len_utf8();
    }
    parts.push(&s[start..]);
    parts
}

/// A policy expression as the spec writes it: `(select auth.uid())` where Postgres prints
/// `( SELECT auth.uid() AS uid)` (codegen would otherwise wrap the call a second time), and
/// without the brackets Postgres puts around the whole expression.
fn policy_expr(deparsed: &str) -> String {
    let mut s = deparsed.to_string();
    for helper in AUTH_HELPERS {
        let alias = helper.trim_start_matches("auth.").trim_end_matches("()");
        s = s.replace(
            &format!("( SELECT {helper} AS {alias})"),
            &format!("(select {helper})"),
        );
    }
    strip_parens(&s).to_string()
}

/// Whether a policy expression calls an auth helper outside `(select ...)`, which codegen
/// wraps, so that the policy it writes differs from the database's.
fn calls_helper_per_row(expr: &str) -> bool {
    AUTH_HELPERS.iter().any(|helper| {
        expr.matches(helper).count() != expr.matches(&format!("(select {helper})")).count()
    })
}

/// Which value constraints a column's type takes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ValueKind {
    Text,
    Number,
}

/// A column's value constraints read back from their CHECK.
#[derive(Debug, Default, PartialEq)]
struct ValueRule {
    length: LengthOut,
    one_of: Option<Vec<String>>,
    range: RangeOut,
}

/// Reads `((col IS NULL) OR (part AND ...))`, the check codegen writes for `length`,
/// `enum` and `range`, as Postgres prints it. The parts must come in codegen's order (min
/// length, max length, enum, min, max), so that the same rule writes the same check again.
fn parse_rule(expr: &str, column: &str, kind: ValueKind) -> Option<ValueRule> {
    let body = strip_outer(expr)?.strip_prefix(&format!("({column} IS NULL) OR "))?;
    let inner = strip_outer(body)?;
    let pieces = split_top(inner, " AND ");
    let parts: Vec<&str> = if pieces.len() == 1 {
        pieces
    } else {
        pieces.into_iter().map(strip_outer).collect::<Option<_>>()?
    };
    let mut rule = ValueRule::default();
    let mut stage = 0;
    for part in parts {
        let next = if let Some(n) = part.strip_prefix(&format!("char_length({column}) >= ")) {
            rule.length.min = Some(n.parse().ok()?);
            1
        } else if let Some(n) = part.strip_prefix(&format!("char_length({column}) <= ")) {
            rule.length.max = Some(n.parse().ok()?);
            2
        } else if let Some(list) = part
            .strip_prefix(&format!("{column} = ANY (ARRAY["))
            .and_then(|l| l.strip_suffix("])"))
        {
            let values = split_top(list, ", ")
                .into_iter()
                .map(|v| sql_string(v.strip_suffix("::text")?))
                .collect::<Option<Vec<_>>>()?;
            rule.one_of = Some(values);
            3
        } else if let Some(v) = part
            .strip_prefix(&format!("{column} = "))
            .and_then(|v| v.strip_suffix("::text"))
        {
            rule.one_of = Some(vec![sql_string(v)?]);
            3
        } else if let Some(n) = part.strip_prefix(&format!("{column} >= ")) {
            rule.range.min = Some(sql_number(n)?);
            4
        } else if let Some(n) = part.strip_prefix(&format!("{column} <= ")) {
            rule.range.max = Some(sql_number(n)?);
            5
        } else {
            return None;
        };
        let fits = match kind {
            ValueKind::Text => next <= 3,
            ValueKind::Number => next >= 4,
        };
        if next <= stage || !fits {
            return None;
        }
        stage = next;
    }
    Some(rule)
}

/// A number constant as Postgres prints it: `2`, `2.5`, `'-2'::integer`,
/// `(0)::double precision`, `('-0.5'::numeric)::double precision`.
fn sql_number(s: &str) -> Option<serde_json::Number> {
    const CASTS: &[&str] = &[
        "::integer",
        "::bigint",
        "::smallint",
        "::numeric",
        "::double precision",
        "::real",
    ];
    let mut s = s.trim();
    loop {
        if let Some(rest) = CASTS.iter().find_map(|c| s.strip_suffix(c)) {
            s = rest;
        } else if let Some(inner) = strip_outer(s) {
            s = inner;
        } else if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            s = inner;
        } else {
            break;
        }
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(i.into());
    }
    let f: f64 = s.parse().ok()?;
    if f.fract() == 0.0 && f.abs() < 1e15 {
        Some((f as i64).into())
    } else {
        serde_json::Number::from_f64(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check_rule(expr: &str, column: &str, kind: ValueKind, expect: Expect) {
        let got = match parse_rule(expr, column, kind) {
            Some(r) => serde_json::json!({
                "length": r.length, "enum": r.one_of, "range": r.range
            })
            .to_string(),
            None => "none".to_string(),
        };
        expect.assert_eq(&got);
    }

    #[test]
    fn value_constraints_come_back_from_their_checks() {
        use ValueKind::*;
        check_rule(
            "((name IS NULL) OR ((char_length(name) >= 1) AND (char_length(name) <= 100)))",
            "name",
            Text,
            expect![[r#"{"length":{"min":1,"max":100},"enum":null,"range":{}}"#]],
        );
        check_rule(
            "((email IS NULL) OR (char_length(email) <= 320))",
            "email",
            Text,
            expect![[r#"{"length":{"max":320},"enum":null,"range":{}}"#]],
        );
        check_rule(
            "((framework IS NULL) OR (framework = ANY (ARRAY['openai'::text, 'it''s'::text])))",
            "framework",
            Text,
            expect![[r#"{"length":{},"enum":["openai","it's"],"range":{}}"#]],
        );
        check_rule(
            "((g IS NULL) OR (g = 'x'::text))",
            "g",
            Text,
            expect![[r#"{"length":{},"enum":["x"],"range":{}}"#]],
        );
        check_rule(
            "((a IS NULL) OR ((a >= '-2'::integer) AND (a <= 2)))",
            "a",
            Number,
            expect![[r#"{"length":{},"enum":null,"range":{"min":-2,"max":2}}"#]],
        );
        check_rule(
            "((e IS NULL) OR ((e >= ('-0.5'::numeric)::double precision) AND (e <= (2)::double precision)))",
            "e",
            Number,
            expect![[r#"{"length":{},"enum":null,"range":{"min":-0.5,"max":2}}"#]],
        );
        check_rule(
            "((\"order\" IS NULL) OR (\"order\" >= (0)::numeric))",
            "\"order\"",
            Number,
            expect![[r#"{"length":{},"enum":null,"range":{"min":0}}"#]],
        );
        // Not codegen's: no null guard, parts out of order, another column, wrong type.
        check_rule("(char_length(name) <= 5)", "name", Text, expect!["none"]);
        check_rule(
            "((n IS NULL) OR ((char_length(n) <= 5) AND (char_length(n) >= 1)))",
            "n",
            Text,
            expect!["none"],
        );
        check_rule("((n IS NULL) OR (m >= 1))", "n", Number, expect!["none"]);
        check_rule(
            "((n IS NULL) OR (char_length(n) <= 5))",
            "n",
            Number,
            expect!["none"],
        );
        check_rule(
            "((n IS NULL) OR ((n >= 1) OR (n <= 5)))",
            "n",
            Number,
            expect!["none"],
        );
    }

    #[test]
    fn types_map_to_the_spec_names() {
        let got: Vec<String> = [
            "timestamp with time zone",
            "text[]",
            "character varying(40)",
            "character varying(40)[]",
            "character varying",
            "double precision",
            "numeric(10,2)",
            "public.vector(3)",
            "vector(1536)",
            "extensions.vector",
            "vector(0)",
            "vector(3)[]",
            "tsvector",
            "character(2)",
            "interval",
        ]
        .iter()
        .map(|t| format!("{t} -> {:?}", spec_type(t)))
        .collect();
        expect![[r#"
            timestamp with time zone -> Some(("timestamptz", None))
            text[] -> Some(("text[]", None))
            character varying(40) -> Some(("text", Some(40)))
            character varying(40)[] -> Some(("text[]", None))
            character varying -> Some(("text", None))
            double precision -> Some(("double precision", None))
            numeric(10,2) -> None
            public.vector(3) -> Some(("vector(3)", None))
            vector(1536) -> Some(("vector(1536)", None))
            extensions.vector -> Some(("vector", None))
            vector(0) -> None
            vector(3)[] -> None
            tsvector -> Some(("tsvector", None))
            character(2) -> None
            interval -> None"#]]
        .assert_eq(&got.join("\n"));
    }

    #[test]
    fn defaults_become_literals_only_when_they_render_back_the_same() {
        let got: Vec<String> = [
            ("'openai'::text", "text"),
            ("'it''s'::text", "text"),
            ("'{}'::jsonb", "jsonb"),
            ("'{\"a\": 1, \"b\": [1, 2]}'::jsonb", "jsonb"),
            ("'{\"a\": \"x, y\"}'::jsonb", "jsonb"),
            ("true", "boolean"),
            ("42", "integer"),
            ("'-1'::integer", "integer"),
            ("now()", "timestamptz"),
            ("'a'::character varying", "text"),
        ]
        .iter()
        .map(|(e, t)| format!("{e} {t} -> {:?}", literal_default(e, t)))
        .collect();
        expect![[r#"
            'openai'::text text -> Some(String("openai"))
            'it''s'::text text -> Some(String("it's"))
            '{}'::jsonb jsonb -> Some(Object {})
            '{"a": 1, "b": [1, 2]}'::jsonb jsonb -> Some(Object {"a": Number(1), "b": Array [Number(1), Number(2)]})
            '{"a": "x, y"}'::jsonb jsonb -> None
            true boolean -> Some(Bool(true))
            42 integer -> Some(Number(42))
            '-1'::integer integer -> None
            now() timestamptz -> None
            'a'::character varying text -> None"#]]
        .assert_eq(&got.join("\n"));
    }

    #[test]
    fn policies_read_as_the_spec_writes_them() {
        let got: Vec<String> = [
            "(( SELECT auth.uid() AS uid) = user_id)",
            "true",
            "((auth.jwt() ->> 'role'::text) = 'admin'::text)",
            "(EXISTS ( SELECT 1\n   FROM public.agents a\n  WHERE ((a.id = agent_tools.agent_id) AND (a.user_id = ( SELECT auth.uid() AS uid)))))",
            "((a = 1) OR (b = 2))",
        ]
        .iter()
        .map(|e| policy_expr(e))
        .collect();
        expect![[r#"
            (select auth.uid()) = user_id
            true
            (auth.jwt() ->> 'role'::text) = 'admin'::text
            EXISTS ( SELECT 1
               FROM public.agents a
              WHERE ((a.id = agent_tools.agent_id) AND (a.user_id = (select auth.uid()))))
            (a = 1) OR (b = 2)"#]]
        .assert_eq(&got.join("\n"));
    }

    #[test]
    fn helper_calls_outside_a_sub_select_are_found() {
        assert!(!calls_helper_per_row("(select auth.uid()) = user_id"));
        assert!(calls_helper_per_row("auth.uid() = user_id"));
        assert!(calls_helper_per_row(
            "(select auth.uid()) = user_id OR (auth.jwt() ->> 'role'::text) = 'admin'::text"
        ));
    }

    #[test]
    fn brackets_and_lists_are_read_apart_outside_quotes() {
        assert_eq!(strip_outer("(a) AND (b)"), None);
        assert_eq!(strip_outer("((a) AND (b))"), Some("(a) AND (b)"));
        assert_eq!(strip_outer("(')(')"), Some("')('"));
        assert_eq!(
            split_top("NULL::text, f(1, 2), 'a, b'", ", "),
            ["NULL::text", "f(1, 2)", "'a, b'"]
        );
        assert_eq!(check_expr("CHECK ((x > 0)) NOT VALID"), Some("(x > 0)"));
    }

    #[test]
    fn the_platform_functions_are_read_from_the_platform_migration() {
        let names: Vec<String> = platform_functions()
            .into_iter()
            .map(|(s, n)| format!("{s}.{n}"))
            .collect();
        assert_eq!(names, ["auth.email", "auth.jwt", "auth.role", "auth.uid"]);
    }
}
