//! The spec format as written in `spec/*.yaml`, mirrored one to one by serde types.
//!
//! This is the first stage of codegen: nothing here is checked beyond its YAML shape.
//! Cross-references, types and defaults are settled by [`crate::lower`].
//! The same types derive a JSON Schema (see [`json_schema`]) so editors can validate and
//! complete spec files.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One spec file: one Postgres schema and everything in it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// Spec format version; only `1` exists.
    #[serde(default = "default_version")]
    pub version: u32,
    /// Name of the Postgres schema this file declares.
    pub schema: String,
    /// Serve this schema on `/rest/v1` (chosen with `Accept-Profile` / `Content-Profile`).
    #[serde(default)]
    pub exposed: bool,
    /// Allow aggregate functions (`count()`, `col.sum()`, ...) in `select=` on this schema.
    #[serde(default)]
    pub aggregates: bool,
    /// A sentence or two about the schema; it reaches the database as a comment and OpenAPI.
    #[serde(default)]
    pub comment: Option<String>,
    /// Tables in declaration order.
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    /// Views in declaration order (a view may read the views declared before it).
    #[serde(default)]
    pub views: Vec<ViewSpec>,
    /// SQL functions; those in exposed schemas are callable at `/rest/v1/rpc/<name>`.
    #[serde(default)]
    pub functions: Vec<FunctionSpec>,
    /// Changes that destroy data which the next migration may make, one entry each:
    /// `drop table <schema>.<table>`, `drop column <schema>.<table>.<column>` or
    /// `alter column <schema>.<table>.<column> type <type>`. Any file may name any schema.
    #[serde(default)]
    pub allow_destructive: Vec<String>,
    /// Typed endpoints under `/api`.
    #[serde(default)]
    pub endpoints: Vec<EndpointSpec>,
}

/// A SQL function.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    /// Function name.
    pub name: String,
    /// Description for OpenAPI and the function comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Named arguments in order.
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    /// Return type: a type name (`integer`, `jsonb`, ...), `setof <table>` for rows of a
    /// table of the same schema, or `<table>` for one such row.
    pub returns: String,
    /// `immutable`, `stable` or `volatile` (default). Only stable and immutable functions
    /// may be called with GET.
    #[serde(default)]
    pub volatility: Option<String>,
    /// `sql` (default) or `plpgsql`.
    #[serde(default)]
    pub language: Option<String>,
    /// Run with the owner's rights instead of the caller's (RLS then sees the owner).
    #[serde(default)]
    pub security_definer: bool,
    /// The function body.
    pub body: String,
    /// Roles that may execute it: `anon`, `authenticated`, `service_role`.
    #[serde(default)]
    pub grants: Vec<String>,
}

/// A view: a stored query served like a read-only table (or a writable one, where Postgres
/// can update it and the grants allow).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewSpec {
    /// View name, unique among the schema's tables and views.
    pub name: String,
    /// Description shown in OpenAPI and as the view comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// The columns the query yields, in its order, with their types. Each migration that
    /// creates the view checks them against what the query really gives.
    pub columns: Vec<ViewColumnSpec>,
    /// The `select` defining the view. Name tables with their schema (`public.agents`).
    pub query: String,
    /// Run the query with the caller's rights, so the RLS of the tables it reads applies
    /// (default true). False runs it as the view's owner, past RLS: only for views meant to
    /// show every row.
    #[serde(default = "default_true")]
    pub security_invoker: bool,
    /// Privileges per role: `anon`, `authenticated`, `service_role`.
    #[serde(default)]
    pub grants: BTreeMap<String, Vec<String>>,
}

/// A column of a view.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewColumnSpec {
    /// Column name, as the query names it.
    pub name: String,
    /// Its type, as for table columns.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether NULL may appear (default true: Postgres cannot say for a view).
    #[serde(default = "default_true")]
    pub nullable: bool,
    /// Description shown in OpenAPI and as the column comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// The table (or view) whose key this column holds: a relationship for embedding,
    /// not a constraint.
    #[serde(default)]
    pub references: Option<ReferenceSpec>,
}

fn default_true() -> bool {
    true
}

/// A function argument.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    /// Argument name. A function may instead take one unnamed `json` or `jsonb` argument,
    /// which receives the whole request body of a call.
    #[serde(default)]
    pub name: String,
    /// Type, as for columns.
    #[serde(rename = "type")]
    pub ty: String,
    /// A default as SQL, which makes the argument optional.
    #[serde(default)]
    pub default_sql: Option<String>,
}

fn default_version() -> u32 {
    1
}

/// A table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Table name (unquoted identifier: lowercase letters, digits, underscores).
    pub name: String,
    /// The table's previous name in the same schema: the next migration renames the table
    /// instead of dropping it and creating a new one.
    #[serde(default)]
    pub renamed_from: Option<String>,
    /// Description shown in OpenAPI and as the table comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Columns in order.
    pub columns: Vec<ColumnSpec>,
    /// Multi-column unique constraints.
    #[serde(default)]
    pub unique: Vec<Vec<String>>,
    /// Extra table-level CHECK constraints written in SQL.
    #[serde(default)]
    pub checks: Vec<CheckSpec>,
    /// Indexes.
    #[serde(default)]
    pub indexes: Vec<IndexSpec>,
    /// Enable Row Level Security.
    #[serde(default)]
    pub rls: bool,
    /// Row Level Security policies.
    #[serde(default)]
    pub policies: Vec<PolicySpec>,
    /// Privileges per role: `anon`, `authenticated`, `service_role`.
    #[serde(default)]
    pub grants: BTreeMap<String, Vec<String>>,
}

/// A column.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// The column's previous name: the next migration renames the column, keeping its
    /// values, instead of dropping it and adding a new one.
    #[serde(default)]
    pub renamed_from: Option<String>,
    /// Postgres type: uuid, text, boolean, smallint, integer, bigint, real, double precision,
    /// numeric, jsonb, json, timestamptz, timestamp, date, time, bytea, or one of those
    /// followed by `[]`; or `tsvector` (full-text search), or `vector(N)` (pgvector, an
    /// embedding of N dimensions, 1 to 16000).
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether NULL is allowed (default false).
    #[serde(default)]
    pub nullable: bool,
    /// Part of the primary key.
    #[serde(default)]
    pub primary_key: bool,
    /// Unique on its own.
    #[serde(default)]
    pub unique: bool,
    /// A literal default value (string, number, boolean, object or array).
    #[serde(default)]
    pub default: Option<serde_json::Value>,
    /// A default written as a SQL expression, for example `now()` or `auth.uid()`.
    #[serde(default)]
    pub default_sql: Option<String>,
    /// Description shown in OpenAPI and as the column comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Foreign key.
    #[serde(default)]
    pub references: Option<ReferenceSpec>,
    /// A CHECK written in SQL (database only; prefer the value constraints below).
    #[serde(default)]
    pub check: Option<String>,
    /// Value constraint (database, request validation and OpenAPI): length bounds for text, in characters.
    #[serde(default)]
    pub length: Option<LengthSpec>,
    /// The allowed values.
    #[serde(default, rename = "enum")]
    pub one_of: Option<Vec<String>>,
    /// Numeric bounds, inclusive.
    #[serde(default)]
    pub range: Option<RangeSpec>,
    /// For `jsonb` columns holding an object: the keys it may have and their constraints.
    #[serde(default)]
    pub shape: Option<BTreeMap<String, FieldSpec>>,
    /// With `shape`: reject keys the shape does not name (default false).
    #[serde(default)]
    pub closed: bool,
    /// Make this a generated column: a SQL expression over the row's other columns that
    /// Postgres computes and stores on every write (for example
    /// `to_tsvector('english', content)`). Clients read it and never write it.
    #[serde(default)]
    pub generated: Option<String>,
}

/// Length bounds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LengthSpec {
    /// Minimum number of characters.
    #[serde(default)]
    pub min: Option<u32>,
    /// Maximum number of characters.
    #[serde(default)]
    pub max: Option<u32>,
}

/// Numeric bounds, inclusive.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeSpec {
    /// Smallest allowed value.
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest allowed value.
    #[serde(default)]
    pub max: Option<f64>,
}

/// One key of a JSON object shape.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// JSON type: string, number, integer, boolean, array, object.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether the key must be present.
    #[serde(default)]
    pub required: bool,
    /// Whether JSON null is accepted.
    #[serde(default)]
    pub nullable: bool,
    /// Description for OpenAPI.
    #[serde(default)]
    pub comment: Option<String>,
    /// Length bounds for text, in characters.
    #[serde(default)]
    pub length: Option<LengthSpec>,
    /// The allowed values.
    #[serde(default, rename = "enum")]
    pub one_of: Option<Vec<String>>,
    /// Numeric bounds, inclusive.
    #[serde(default)]
    pub range: Option<RangeSpec>,
    /// For arrays: the JSON type of each item (string, number, integer, boolean).
    #[serde(default)]
    pub items: Option<String>,
}

/// A foreign key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSpec {
    /// Referenced table, as `table` (same schema) or `schema.table`.
    pub table: String,
    /// Referenced column (default `id`).
    #[serde(default)]
    pub column: Option<String>,
    /// `cascade`, `restrict`, `set null`, `set default` or `no action` (default).
    #[serde(default)]
    pub on_delete: Option<String>,
}

/// A table-level CHECK.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Constraint name.
    pub name: String,
    /// SQL boolean expression.
    pub expr: String,
}

/// An index.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// Index name (default: derived from table and columns).
    #[serde(default)]
    pub name: Option<String>,
    /// Indexed columns, in order, each `column [operator_class] [asc|desc]`, for example
    /// `created_at desc` or `embedding vector_cosine_ops`.
    pub columns: Vec<String>,
    /// Unique index.
    #[serde(default)]
    pub unique: bool,
    /// Index method: btree (default), gin, gist, hash, brin, hnsw, ivfflat.
    #[serde(default)]
    pub method: Option<String>,
}

/// A Row Level Security policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Policy name, unique per table.
    pub name: String,
    /// `select`, `insert`, `update`, `delete` or `all`.
    pub command: String,
    /// Roles it applies to (default: public, meaning every role).
    #[serde(default)]
    pub roles: Vec<String>,
    /// SQL expression deciding which existing rows are visible or affected.
    #[serde(default)]
    pub using: Option<String>,
    /// SQL expression new rows must satisfy.
    #[serde(default)]
    pub with_check: Option<String>,
    /// Restrictive instead of permissive.
    #[serde(default)]
    pub restrictive: bool,
}

/// The JSON Schema of a spec file, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(SpecFile);
    let mut out = serde_json::to_string_pretty(&schema).expect("schema serializes");
    out.push('\n');
    out
}

/// A typed endpoint under `/api`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointSpec {
    /// Collection path, e.g. `/api/agents` or `/api/agents/{id}/tools`.
    pub path: String,
    /// CRUD over a table of this file's schema.
    #[serde(default)]
    pub crud: Option<CrudSpec>,
    /// A call of a function of this file's schema.
    #[serde(default)]
    pub sql: Option<SqlEndpointSpec>,
    /// A handler written in Rust, with its request and response shapes.
    #[serde(default)]
    pub handler: Option<HandlerSpec>,
    /// Message of the 404 for a row that does not exist or is not the caller's.
    #[serde(default)]
    pub not_found: Option<String>,
    /// Message of the 409 when a write breaks a unique constraint.
    #[serde(default)]
    pub conflict: Option<String>,
}

/// CRUD over a table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrudSpec {
    /// The table.
    pub table: String,
    /// Operations served: list, get, create, update (PATCH), replace (PUT), delete
    /// (default: all but replace).
    #[serde(default)]
    pub operations: Option<Vec<String>>,
    /// Path parameter naming one row (default `id`).
    #[serde(default)]
    pub item: Option<String>,
    /// Column that parameter matches (default: the primary key).
    #[serde(default)]
    pub key: Option<String>,
    /// Column holding the owner's user id: rows are scoped to the caller.
    #[serde(default)]
    pub owner: Option<String>,
    /// For nested collections: the parent endpoint.
    #[serde(default)]
    pub parent: Option<ParentSpec>,
    /// Field names that differ from columns: `field: column`.
    #[serde(default)]
    pub renames: std::collections::BTreeMap<String, String>,
    /// Fields PATCH reads; other keys are ignored (default: all columns).
    #[serde(default)]
    pub update: Vec<String>,
    /// On create, a field naming a row of another table by a unique column.
    #[serde(default)]
    pub lookup: Option<LookupSpec>,
    /// Named checks of the runtime applied to body fields on create and update:
    /// `field: check`. Known checks: `database_schemas` (a database tool's
    /// `{"schemas": {"<schema>": ["<table>", ...]}}`).
    #[serde(default)]
    pub checks: std::collections::BTreeMap<String, String>,
    /// Columns never answered nor accepted (a sealed secret's column, say).
    #[serde(default)]
    pub hidden: Vec<String>,
    /// A secret the client sends in `field`, stored sealed (AES-256-GCM under the project's
    /// sealing key) in `column`, with its last four characters in `hint`.
    #[serde(default)]
    pub seal: Option<SealSpec>,
    /// JSON objects whose string values are credentials (header name → value, say): a
    /// json/jsonb column, or a dotted key path inside one (`config.headers`). Each value
    /// is sealed before it is stored and answered masked (`••••`, then its last four
    /// characters when it has 12 or more); sending a read's masked value back keeps the
    /// stored one.
    #[serde(default)]
    pub sealed_objects: Vec<String>,
}

/// A sealed secret of a crud endpoint.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SealSpec {
    /// Body field carrying the secret, e.g. `api_key`.
    pub field: String,
    /// Column storing it sealed.
    pub column: String,
    /// Column storing its last four characters.
    #[serde(default)]
    pub hint: Option<String>,
}

/// The parent of a nested collection.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParentSpec {
    /// The parent endpoint's path.
    pub endpoint: String,
    /// The path parameter holding the parent's key.
    pub param: String,
    /// The column referencing the parent.
    pub column: String,
}

/// A create-time lookup.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupSpec {
    /// Body field, e.g. `tool_name`.
    pub field: String,
    /// Table looked up (same schema).
    pub table: String,
    /// Its unique column the field matches, e.g. `name`.
    pub column: String,
    /// Its column whose value is stored (default `id`).
    #[serde(default)]
    pub key: Option<String>,
    /// The column of the endpoint's table that stores it, e.g. `tool_id`.
    pub sets: String,
}

/// An endpoint served by a named Rust handler of the runtime.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HandlerSpec {
    /// The handler's name in the runtime (`whoami`).
    pub name: String,
    /// `GET` or `POST` (default `POST`).
    #[serde(default)]
    pub method: Option<String>,
    /// The JSON object the request body must be, checked before the handler runs.
    #[serde(default)]
    pub request: BTreeMap<String, FieldSpec>,
    /// The JSON object the handler answers, for OpenAPI.
    #[serde(default)]
    pub response: BTreeMap<String, FieldSpec>,
}

/// A function-bound endpoint.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlEndpointSpec {
    /// The function (same schema).
    pub function: String,
    /// `GET` or `POST` (default `POST`).
    #[serde(default)]
    pub method: Option<String>,
}
