//! Static metadata the generated crate hands to the runtime: schemas, tables, columns,
//! constraints, relationships, policies and migrations.
//!
//! Everything is `&'static` so that the generated code is plain data (no allocation at
//! start) and the planner can trust every identifier it finds here: request text is only
//! ever compared against these names, never spliced into SQL.

/// Everything generated from the spec.
#[derive(Debug)]
pub struct Catalog {
    /// Schemas, sorted by name.
    pub schemas: &'static [Schema],
    /// Migrations emitted from the spec, in order.
    pub migrations: &'static [Migration],
    /// OpenAPI documents per exposed schema: (schema, JSON).
    pub openapi: &'static [(&'static str, &'static str)],
    /// Typed endpoints under `/api`.
    pub endpoints: &'static [Endpoint],
    /// The OpenAPI document for SDK generators, served at `/api/openapi.json`.
    pub api_openapi: Option<&'static str>,
}

/// A typed endpoint declared in the spec.
#[derive(Debug)]
pub struct Endpoint {
    /// Collection path, e.g. `/api/agents` or `/api/agents/{id}/tools`.
    pub path: &'static str,
    /// What it does.
    pub kind: EndpointKind,
    /// Message of the 404 answered when the addressed row does not exist or is not the
    /// caller's, e.g. `Agent not found`.
    pub not_found: &'static str,
    /// Message of the 409 answered when a write breaks a unique constraint.
    pub conflict: Option<&'static str>,
}

/// Kinds of typed endpoints.
#[derive(Debug)]
pub enum EndpointKind {
    /// CRUD over a table.
    Crud(&'static Crud),
    /// A handler of the runtime (`runtime::api::handler`), whose request body is
    /// checked against a shape first.
    Handler {
        /// Handler name.
        name: &'static str,
        /// `GET` or `POST`.
        method: &'static str,
        /// Shape of the request body.
        request: &'static Shape,
    },
    /// A call of a function with typed parameters.
    Sql {
        /// HTTP method: `GET` or `POST`.
        method: &'static str,
        /// Schema of the function.
        schema: &'static str,
        /// The function.
        function: &'static str,
    },
}

/// CRUD over a table, scoped to the caller and to a parent row.
#[derive(Debug)]
pub struct Crud {
    /// Schema of the table.
    pub schema: &'static str,
    /// The table.
    pub table: &'static str,
    /// Path parameter naming one row, e.g. `id` or `assignment_id`.
    pub item_param: &'static str,
    /// The column that parameter matches, e.g. `id`.
    pub key: &'static str,
    /// A column holding the owner's user id: rows are scoped to `auth.uid()`, and created
    /// rows belong to the caller.
    pub owner: Option<&'static str>,
    /// For nested collections: the parent endpoint, its path parameter and the column of
    /// this table that references it.
    pub parent: Option<ParentLink>,
    /// Which operations are served.
    pub operations: &'static [&'static str],
    /// Body and response field names that differ from columns: (field, column).
    pub renames: &'static [(&'static str, &'static str)],
    /// Fields PATCH reads; every other key is ignored. Empty means every column.
    pub update_fields: &'static [&'static str],
    /// On create, a field naming a row of another table by a unique column, turned into
    /// the foreign key column.
    pub lookup: Option<Lookup>,
    /// Named checks applied to body fields on create and update: (field, check).
    pub checks: &'static [(&'static str, &'static str)],
    /// Columns never answered nor accepted.
    pub hidden: &'static [&'static str],
    /// A secret sealed before it is stored.
    pub seal: Option<Seal>,
    /// JSON objects whose values are credentials, sealed before they are stored and
    /// answered masked (see `runtime::secrets`).
    pub sealed_objects: &'static [SealedObject],
}

/// A JSON object of credentials (header name → value, say) inside a json or jsonb column:
/// each value is stored sealed and answered masked.
#[derive(Debug)]
pub struct SealedObject {
    /// The column holding it.
    pub column: &'static str,
    /// Keys leading from the column's value to the object; empty when the column is it.
    pub path: &'static [&'static str],
}

/// A secret the client sends in `field`, stored sealed in `column` (see
/// `runtime::secrets`), with its last four characters in `hint`.
#[derive(Debug)]
pub struct Seal {
    /// Body field.
    pub field: &'static str,
    /// Column of the sealed value.
    pub column: &'static str,
    /// Column of the last four characters.
    pub hint: Option<&'static str>,
}

/// How a nested collection is tied to its parent.
#[derive(Debug)]
pub struct ParentLink {
    /// The parent endpoint's collection path.
    pub endpoint: &'static str,
    /// The path parameter holding the parent's key.
    pub param: &'static str,
    /// The column of this table referencing the parent.
    pub column: &'static str,
}

/// A create-time lookup: `{"tool_name": "web_search"}` becomes `tool_id`.
#[derive(Debug)]
pub struct Lookup {
    /// Body field.
    pub field: &'static str,
    /// Schema of the looked-up table.
    pub schema: &'static str,
    /// Looked-up table.
    pub table: &'static str,
    /// Its unique column the field matches.
    pub column: &'static str,
    /// Its column whose value is stored.
    pub key: &'static str,
    /// The column of this table that stores it.
    pub sets: &'static str,
}

impl Catalog {
    /// The exposed schemas in the order profiles are negotiated (the first is the default).
    pub fn exposed_schemas(&self) -> impl Iterator<Item = &'static Schema> {
        let mut list: Vec<&'static Schema> = self.schemas.iter().filter(|s| s.exposed).collect();
        // `public` is the default profile when it is exposed, as in PostgREST setups.
        list.sort_by_key(|s| (s.name != "public", s.name));
        list.into_iter()
    }

    /// Finds a schema by name.
    pub fn schema(&self, name: &str) -> Option<&'static Schema> {
        self.schemas.iter().find(|s| s.name == name)
    }

    /// Finds a function by schema and name.
    pub fn function(&self, schema: &str, name: &str) -> Option<&'static Function> {
        self.schema(schema)?
            .functions
            .iter()
            .find(|f| f.name == name)
    }

    /// Finds a table by schema and name.
    pub fn table(&self, schema: &str, name: &str) -> Option<&'static Table> {
        self.schema(schema)?.tables.iter().find(|t| t.name == name)
    }

    /// The OpenAPI document of one exposed schema.
    pub fn openapi_for(&self, schema: &str) -> Option<&'static str> {
        self.openapi
            .iter()
            .find(|(s, _)| *s == schema)
            .map(|(_, doc)| *doc)
    }
}

/// A Postgres schema.
#[derive(Debug)]
pub struct Schema {
    /// Name.
    pub name: &'static str,
    /// Served on `/rest/v1`.
    pub exposed: bool,
    /// Whether `select=` may use aggregate functions.
    pub aggregates: bool,
    /// Tables.
    pub tables: &'static [Table],
    /// Functions, callable at `/rest/v1/rpc/<name>` when the schema is exposed.
    pub functions: &'static [Function],
}

/// A SQL function.
#[derive(Debug)]
pub struct Function {
    /// Schema name.
    pub schema: &'static str,
    /// Function name.
    pub name: &'static str,
    /// Arguments in order.
    pub args: &'static [Arg],
    /// What it returns.
    pub returns: Returns,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: &'static str,
}

/// A function argument.
#[derive(Debug)]
pub struct Arg {
    /// Name.
    pub name: &'static str,
    /// SQL type.
    pub sql_type: &'static str,
    /// Whether it may be left out.
    pub has_default: bool,
}

/// What a function returns.
#[derive(Debug)]
pub enum Returns {
    /// One value of this SQL type.
    Scalar(&'static str),
    /// Rows of this table of the same schema.
    SetOf(&'static str),
    /// One row of this table of the same schema.
    Row(&'static str),
    /// Nothing.
    Void,
}

/// A table.
#[derive(Debug)]
pub struct Table {
    /// Schema name.
    pub schema: &'static str,
    /// Table name.
    pub name: &'static str,
    /// Columns in order.
    pub columns: &'static [Column],
    /// Primary key columns.
    pub primary_key: &'static [&'static str],
    /// Foreign keys from this table.
    pub foreign_keys: &'static [ForeignKey],
    /// Row Level Security enabled.
    pub rls: bool,
    /// Policies, for error messages that explain a denial.
    pub policies: &'static [Policy],
    /// A view: Postgres (its grants, whether it can be updated) decides about writes, so
    /// request validation requires no column.
    pub view: bool,
}

impl Column {
    /// Whether the column has a default.
    pub fn has_default(&self) -> bool {
        self.default_sql.is_some() || self.generated
    }
}

impl Table {
    /// Finds a column by name.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A column.
#[derive(Debug)]
pub struct Column {
    /// Name.
    pub name: &'static str,
    /// SQL type as written in casts, e.g. `uuid`, `text[]`, `double precision`.
    pub sql_type: &'static str,
    /// Coarse kind used by request validation.
    pub kind: ColumnKind,
    /// Whether the column is an array of `kind`.
    pub array: bool,
    /// NULL allowed.
    pub nullable: bool,
    /// The column default as SQL (from the spec, so trusted), if any.
    pub default_sql: Option<&'static str>,
    /// Computed by Postgres from the row's other columns; never written by clients.
    pub generated: bool,
    /// Value constraints.
    pub rule: Rule,
}

/// Coarse column kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// uuid
    Uuid,
    /// text
    Text,
    /// boolean
    Boolean,
    /// integer types
    Integer,
    /// floating and numeric types
    Number,
    /// json, jsonb
    Json,
    /// timestamps, dates, times
    Temporal,
    /// bytea
    Bytes,
    /// tsvector: full-text search filters use it as it is.
    TextSearch,
    /// pgvector's `vector(N)`, with N dimensions (None: any width).
    Vector(Option<u32>),
}

/// Value constraints.
#[derive(Debug, Default)]
pub struct Rule {
    /// Minimum length in characters.
    pub min_length: Option<u32>,
    /// Maximum length in characters.
    pub max_length: Option<u32>,
    /// Allowed values.
    pub one_of: &'static [&'static str],
    /// Inclusive minimum.
    pub minimum: Option<f64>,
    /// Inclusive maximum.
    pub maximum: Option<f64>,
    /// For JSON columns: the object shape.
    pub shape: Option<&'static Shape>,
}

impl Rule {
    /// A rule that constrains nothing.
    pub const NONE: Rule = Rule {
        min_length: None,
        max_length: None,
        one_of: &[],
        minimum: None,
        maximum: None,
        shape: None,
    };
}

/// The shape of a JSON object.
#[derive(Debug)]
pub struct Shape {
    /// Keys.
    pub fields: &'static [Field],
    /// Keys not listed are rejected.
    pub closed: bool,
}

/// One key of a JSON object shape.
#[derive(Debug)]
pub struct Field {
    /// Key.
    pub name: &'static str,
    /// JSON type.
    pub ty: JsonType,
    /// Must be present.
    pub required: bool,
    /// May be null.
    pub nullable: bool,
    /// Constraints.
    pub rule: Rule,
    /// Array item type.
    pub items: Option<JsonType>,
}

/// JSON value types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// string
    String,
    /// number
    Number,
    /// integer
    Integer,
    /// boolean
    Boolean,
    /// array
    Array,
    /// object
    Object,
}

impl JsonType {
    /// The JSON Schema name.
    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

/// A foreign key.
#[derive(Debug)]
pub struct ForeignKey {
    /// Constraint name.
    pub name: &'static str,
    /// Referencing columns.
    pub columns: &'static [&'static str],
    /// Referenced schema.
    pub ref_schema: &'static str,
    /// Referenced table.
    pub ref_table: &'static str,
    /// Referenced columns.
    pub ref_columns: &'static [&'static str],
}

/// A Row Level Security policy, kept for explaining denials.
#[derive(Debug)]
pub struct Policy {
    /// Name.
    pub name: &'static str,
    /// `select`, `insert`, `update`, `delete` or `all`.
    pub command: &'static str,
    /// Roles.
    pub roles: &'static [&'static str],
}

/// A migration emitted from the spec.
#[derive(Debug)]
pub struct Migration {
    /// Version, e.g. `0001`.
    pub version: &'static str,
    /// Name, e.g. `init`.
    pub name: &'static str,
    /// SQL.
    pub sql: &'static str,
}
