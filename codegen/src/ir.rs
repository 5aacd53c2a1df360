//! The intermediate representation: one typed, validated model of the whole spec.
//!
//! [`crate::lower`] builds it from the parsed YAML; every emitter reads only this.
//! Names are settled (constraint and index names included), references are resolved and
//! tables are in dependency order, so emitters never need to look anything up.
//!
//! The model also serializes (serde) into the snapshot committed beside each generated
//! migration (see [`crate::history`]), which [`crate::diff`] compares with the next spec.
//! A field added later needs `#[serde(default)]` so that older snapshots still load.
//! What only steers a transition (`renamed_from`, `allow_destructive`) is not part of a
//! snapshot.

use serde::{Deserialize, Serialize};

/// The whole spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ir {
    /// Schemas, sorted by name.
    pub schemas: Vec<Schema>,
    /// Every table of every schema, ordered so that a referenced table comes before the
    /// tables referencing it.
    pub tables: Vec<Table>,
    /// Views, in declaration order per spec file (files in name order).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<View>,
    /// The spec files the IR was built from, relative to the spec folder, sorted.
    pub sources: Vec<String>,
    /// Functions, sorted by schema and name.
    pub functions: Vec<Function>,
    /// Changes that destroy data which the spec marks as intended (`allow_destructive`).
    #[serde(skip)]
    pub allow_destructive: Vec<Destructive>,
    /// Typed endpoints, sorted by path. They change no database object, so they are not
    /// part of a snapshot.
    #[serde(skip)]
    pub endpoints: Vec<Endpoint>,
}

impl Ir {
    /// Tables, then views as the tables they read like (see [`View::as_table`]): what the
    /// catalog and the OpenAPI documents serve.
    pub fn relations(&self) -> Vec<Table> {
        self.tables
            .iter()
            .cloned()
            .chain(self.views.iter().map(View::as_table))
            .collect()
    }

    /// Whether anything in the model has a pgvector type, so the `vector` extension must
    /// exist before the spec's objects.
    pub fn uses_vector(&self) -> bool {
        let vector = |t: &SqlType| matches!(t.base, BaseType::Vector(_));
        self.tables
            .iter()
            .flat_map(|t| &t.columns)
            .chain(self.views.iter().flat_map(|v| &v.columns))
            .any(|c| vector(&c.ty))
            || self
                .functions
                .iter()
                .flat_map(|f| &f.args)
                .any(|a| vector(&a.ty))
    }
}

/// A change that can destroy data, which a migration only makes when the spec lists it
/// under `allow_destructive`. Displayed (and parsed) as the entry that allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destructive {
    /// `drop table <schema>.<table>`: the table and its rows go.
    DropTable {
        /// Schema name.
        schema: String,
        /// Table name.
        table: String,
    },
    /// `drop column <schema>.<table>.<column>`: the column and its values go.
    DropColumn {
        /// Schema name.
        schema: String,
        /// Table name.
        table: String,
        /// Column name.
        column: String,
    },
    /// `alter column <schema>.<table>.<column> type <type>`: a conversion that can fail on
    /// existing values or lose part of them.
    AlterType {
        /// Schema name.
        schema: String,
        /// Table name.
        table: String,
        /// Column name.
        column: String,
        /// The new type.
        ty: SqlType,
    },
}

impl Destructive {
    /// Parses an `allow_destructive` entry; keywords are case-insensitive and type names
    /// are settled (`int` is `integer`), so equal intents compare equal.
    pub fn parse(entry: &str) -> Option<Destructive> {
        let words: Vec<&str> = entry.split_whitespace().collect();
        let keyword = |i: usize, k: &str| words.get(i).is_some_and(|w| w.eq_ignore_ascii_case(k));
        let name = |i: usize, parts: usize| -> Option<Vec<String>> {
            let split: Vec<String> = words.get(i)?.split('.').map(str::to_string).collect();
            (split.len() == parts && split.iter().all(|p| !p.is_empty())).then_some(split)
        };
        if keyword(0, "drop") && keyword(1, "table") && words.len() == 3 {
            let [schema, table]: [String; 2] = name(2, 2)?.try_into().ok()?;
            return Some(Destructive::DropTable { schema, table });
        }
        if keyword(0, "drop") && keyword(1, "column") && words.len() == 3 {
            let [schema, table, column]: [String; 3] = name(2, 3)?.try_into().ok()?;
            return Some(Destructive::DropColumn {
                schema,
                table,
                column,
            });
        }
        if keyword(0, "alter") && keyword(1, "column") && keyword(3, "type") && words.len() > 4 {
            let [schema, table, column]: [String; 3] = name(2, 3)?.try_into().ok()?;
            let ty = SqlType::parse(&words[4..].join(" ").to_ascii_lowercase())?;
            return Some(Destructive::AlterType {
                schema,
                table,
                column,
                ty,
            });
        }
        None
    }
}

impl std::fmt::Display for Destructive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destructive::DropTable { schema, table } => write!(f, "drop table {schema}.{table}"),
            Destructive::DropColumn {
                schema,
                table,
                column,
            } => write!(f, "drop column {schema}.{table}.{column}"),
            Destructive::AlterType {
                schema,
                table,
                column,
                ty,
            } => write!(
                f,
                "alter column {schema}.{table}.{column} type {}",
                ty.sql()
            ),
        }
    }
}

/// A SQL function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// Schema name.
    pub schema: String,
    /// Function name.
    pub name: String,
    /// Description.
    pub comment: Option<String>,
    /// Arguments in order.
    pub args: Vec<Arg>,
    /// What it returns.
    pub returns: Returns,
    /// `immutable`, `stable` or `volatile`.
    pub volatility: String,
    /// `sql` or `plpgsql`.
    pub language: String,
    /// SECURITY DEFINER.
    pub security_definer: bool,
    /// Body.
    pub body: String,
    /// Roles with EXECUTE.
    pub grants: Vec<String>,
    /// Whether its schema is exposed on `/rest/v1`.
    pub exposed: bool,
}

/// A function argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arg {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: SqlType,
    /// Default as SQL.
    pub default_sql: Option<String>,
}

/// What a function returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Returns {
    /// One value of a type.
    Scalar(SqlType),
    /// Rows of a table of the same schema.
    SetOf(String),
    /// One row of a table of the same schema.
    Row(String),
    /// Nothing.
    Void,
}

impl Returns {
    /// The SQL spelling, qualified with `schema` for tables.
    pub fn sql(&self, schema: &str) -> String {
        let q = |t: &str| {
            format!(
                "{}.{}",
                crate::sql::quote_ident(schema),
                crate::sql::quote_ident(t)
            )
        };
        match self {
            Returns::Scalar(ty) => ty.sql(),
            Returns::SetOf(t) => format!("setof {}", q(t)),
            Returns::Row(t) => q(t),
            Returns::Void => "void".into(),
        }
    }
}

/// A view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    /// Schema name.
    pub schema: String,
    /// View name.
    pub name: String,
    /// Description.
    pub comment: Option<String>,
    /// Columns as the query yields them.
    pub columns: Vec<Column>,
    /// Declared relationships to tables or views (for embedding; not constraints).
    pub foreign_keys: Vec<ForeignKey>,
    /// The `select`.
    pub query: String,
    /// Runs with the caller's rights (RLS of the underlying tables applies).
    pub security_invoker: bool,
    /// Privileges per role, sorted by role.
    pub grants: Vec<Grant>,
    /// Whether the view's schema is exposed on `/rest/v1`.
    pub exposed: bool,
}

impl View {
    /// `schema.name`, for messages.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The view as the table it reads like: its columns and relationships, no keys,
    /// constraints, indexes or policies. The catalog and OpenAPI serve views this way.
    pub fn as_table(&self) -> Table {
        Table {
            schema: self.schema.clone(),
            name: self.name.clone(),
            comment: self.comment.clone(),
            columns: self.columns.clone(),
            primary_key: Vec::new(),
            uniques: Vec::new(),
            checks: Vec::new(),
            foreign_keys: self.foreign_keys.clone(),
            indexes: Vec::new(),
            rls: false,
            policies: Vec::new(),
            grants: self.grants.clone(),
            exposed: self.exposed,
            renamed_from: None,
        }
    }

    /// What of the view the database holds: everything but the columns' nullability and
    /// the relationships, which only the catalog uses. Two views with the same key need no
    /// migration between them.
    pub fn database_key(&self) -> impl PartialEq + '_ {
        (
            (&self.schema, &self.name, &self.comment, &self.query),
            (self.security_invoker, &self.grants),
            self.columns
                .iter()
                .map(|c| (&c.name, c.ty, &c.comment))
                .collect::<Vec<_>>(),
        )
    }

    /// Whether some role may write through the view.
    pub fn writable(&self) -> bool {
        self.grants.iter().any(|g| {
            g.privileges
                .iter()
                .any(|p| matches!(p.as_str(), "all" | "insert" | "update" | "delete"))
        })
    }
}

/// A Postgres schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Schema name.
    pub name: String,
    /// Served on `/rest/v1`.
    pub exposed: bool,
    /// Aggregate functions allowed in `select=`.
    pub aggregates: bool,
    /// Description.
    pub comment: Option<String>,
    /// Spec file it comes from.
    pub source: String,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Schema name.
    pub schema: String,
    /// Table name.
    pub name: String,
    /// Description.
    pub comment: Option<String>,
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// Primary key columns, possibly empty.
    pub primary_key: Vec<String>,
    /// Unique constraints (single-column ones included).
    pub uniques: Vec<Unique>,
    /// CHECK constraints, generated from value constraints and written in the spec.
    pub checks: Vec<Check>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes.
    pub indexes: Vec<Index>,
    /// Row Level Security enabled.
    pub rls: bool,
    /// RLS policies.
    pub policies: Vec<Policy>,
    /// Privileges per role, sorted by role.
    pub grants: Vec<Grant>,
    /// Whether the table's schema is exposed on `/rest/v1`.
    pub exposed: bool,
    /// The table's name in the previous spec, when the spec renames it.
    #[serde(skip)]
    pub renamed_from: Option<String>,
}

impl Table {
    /// `schema.name`, for messages.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The name of the primary key constraint.
    pub fn primary_key_name(&self) -> String {
        format!("{}_pkey", self.name)
    }

    /// Finds a column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// SQL type.
    pub ty: SqlType,
    /// NULL allowed.
    pub nullable: bool,
    /// Default, if any.
    pub default: Option<DefaultValue>,
    /// Description.
    pub comment: Option<String>,
    /// Value constraints shared by the database, request validation and OpenAPI.
    pub rule: Rule,
    /// The column's name in the previous spec, when the spec renames it.
    #[serde(skip)]
    pub renamed_from: Option<String>,
    /// A generated column: the SQL expression Postgres computes (and stores) from the other
    /// columns of the row. Such a column is never written by clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
}

/// A column default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultValue {
    /// A literal value, rendered as a quoted SQL literal cast to the column type.
    Literal(serde_json::Value),
    /// A SQL expression written in the spec.
    Sql(String),
}

/// A SQL type: a base type, possibly an array of it. Serialized as its SQL spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct SqlType {
    /// The element type.
    pub base: BaseType,
    /// `base[]`.
    pub array: bool,
}

/// The base types the spec accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseType {
    /// uuid
    Uuid,
    /// text
    Text,
    /// boolean
    Boolean,
    /// smallint
    SmallInt,
    /// integer
    Integer,
    /// bigint
    BigInt,
    /// real
    Real,
    /// double precision
    Double,
    /// numeric
    Numeric,
    /// jsonb
    Jsonb,
    /// json
    Json,
    /// timestamptz
    Timestamptz,
    /// timestamp
    Timestamp,
    /// date
    Date,
    /// time
    Time,
    /// bytea
    Bytea,
    /// tsvector: a full-text search document, usually a generated column.
    TsVector,
    /// pgvector's `vector(N)`: an embedding of N dimensions; plain `vector` (any width)
    /// where the width is not known, as in function arguments.
    Vector(Option<u32>),
}

/// The most dimensions pgvector stores in a `vector`.
pub const VECTOR_MAX_DIMENSIONS: u32 = 16000;

impl BaseType {
    /// All base types with their spec spelling.
    pub const ALL: &'static [(&'static str, BaseType)] = &[
        ("uuid", BaseType::Uuid),
        ("text", BaseType::Text),
        ("boolean", BaseType::Boolean),
        ("smallint", BaseType::SmallInt),
        ("integer", BaseType::Integer),
        ("bigint", BaseType::BigInt),
        ("real", BaseType::Real),
        ("double precision", BaseType::Double),
        ("numeric", BaseType::Numeric),
        ("jsonb", BaseType::Jsonb),
        ("json", BaseType::Json),
        ("timestamptz", BaseType::Timestamptz),
        ("timestamp", BaseType::Timestamp),
        ("date", BaseType::Date),
        ("time", BaseType::Time),
        ("bytea", BaseType::Bytea),
        ("tsvector", BaseType::TsVector),
    ];

    /// The SQL spelling.
    pub fn sql(self) -> String {
        match self {
            BaseType::Vector(Some(n)) => return format!("vector({n})"),
            BaseType::Vector(None) => return "vector".to_string(),
            _ => {}
        }
        BaseType::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| n.to_string())
            .expect("every other base type is listed")
    }

    /// Types that exist only as single values (no arrays of them in a spec).
    pub fn is_scalar_only(self) -> bool {
        matches!(self, BaseType::Vector(_) | BaseType::TsVector)
    }

    /// Numeric types accept `range`.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            BaseType::SmallInt
                | BaseType::Integer
                | BaseType::BigInt
                | BaseType::Real
                | BaseType::Double
                | BaseType::Numeric
        )
    }

    /// Integer types.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            BaseType::SmallInt | BaseType::Integer | BaseType::BigInt
        )
    }

    /// JSON types accept `shape`.
    pub fn is_json(self) -> bool {
        matches!(self, BaseType::Jsonb | BaseType::Json)
    }
}

impl SqlType {
    /// The SQL spelling, e.g. `text[]`.
    pub fn sql(self) -> String {
        if self.array {
            format!("{}[]", self.base.sql())
        } else {
            self.base.sql()
        }
    }

    /// Parses the spec spelling.
    pub fn parse(s: &str) -> Option<SqlType> {
        let s = s.trim();
        let (base, array) = match s.strip_suffix("[]") {
            Some(b) => (b.trim(), true),
            None => (s, false),
        };
        let base = match base {
            "timestamp with time zone" => BaseType::Timestamptz,
            "int" | "int4" => BaseType::Integer,
            "int8" => BaseType::BigInt,
            "int2" => BaseType::SmallInt,
            "bool" => BaseType::Boolean,
            "float8" => BaseType::Double,
            "float4" => BaseType::Real,
            other => match other
                .strip_prefix("vector")
                .and_then(|r| r.trim_start().strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
            {
                Some(dims) => {
                    let n: u32 = dims.trim().parse().ok()?;
                    if n == 0 || n > VECTOR_MAX_DIMENSIONS {
                        return None;
                    }
                    BaseType::Vector(Some(n))
                }
                None if other == "vector" => BaseType::Vector(None),
                None => BaseType::ALL.iter().find(|(n, _)| *n == other)?.1,
            },
        };
        if array && base.is_scalar_only() {
            return None;
        }
        Some(SqlType { base, array })
    }
}

impl From<SqlType> for String {
    fn from(ty: SqlType) -> String {
        ty.sql()
    }
}

impl TryFrom<String> for SqlType {
    type Error = String;

    fn try_from(s: String) -> Result<SqlType, String> {
        SqlType::parse(&s).ok_or_else(|| format!("unknown type `{s}`"))
    }
}

/// The JSON types a shape field can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// A JSON string.
    String,
    /// Any JSON number.
    Number,
    /// A JSON number without a fractional part.
    Integer,
    /// true or false.
    Boolean,
    /// A JSON array.
    Array,
    /// A JSON object.
    Object,
}

impl JsonType {
    /// Parses the spec spelling.
    pub fn parse(s: &str) -> Option<JsonType> {
        Some(match s {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    /// The spec spelling, which is also the JSON Schema type name.
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

/// Value constraints of a column or a shape field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Minimum length in characters.
    pub min_length: Option<u32>,
    /// Maximum length in characters.
    pub max_length: Option<u32>,
    /// Allowed values.
    pub one_of: Vec<String>,
    /// Inclusive minimum.
    pub minimum: Option<f64>,
    /// Inclusive maximum.
    pub maximum: Option<f64>,
    /// For JSON columns: the object shape.
    pub shape: Option<Shape>,
}

impl Rule {
    /// True when the rule constrains nothing.
    pub fn is_empty(&self) -> bool {
        self.min_length.is_none()
            && self.max_length.is_none()
            && self.one_of.is_empty()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.shape.is_none()
    }
}

/// The shape of a JSON object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Keys, sorted by name.
    pub fields: Vec<Field>,
    /// Keys not listed are rejected.
    pub closed: bool,
}

/// One key of a JSON object shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Key.
    pub name: String,
    /// JSON type.
    pub ty: JsonType,
    /// Must be present.
    pub required: bool,
    /// May be JSON null.
    pub nullable: bool,
    /// Description.
    pub comment: Option<String>,
    /// Constraints on the value (never a nested shape).
    pub rule: Rule,
    /// For arrays: the type of each item.
    pub items: Option<JsonType>,
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unique {
    /// Constraint name.
    pub name: String,
    /// Columns.
    pub columns: Vec<String>,
}

/// A CHECK constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Constraint name.
    pub name: String,
    /// The column it validates, when it comes from a column's value constraints.
    pub column: Option<String>,
    /// SQL boolean expression.
    pub expr: String,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// Constraint name.
    pub name: String,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced schema.
    pub ref_schema: String,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns.
    pub ref_columns: Vec<String>,
    /// Action on delete.
    pub on_delete: FkAction,
}

/// Referential action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    /// NO ACTION
    NoAction,
    /// RESTRICT
    Restrict,
    /// CASCADE
    Cascade,
    /// SET NULL
    SetNull,
    /// SET DEFAULT
    SetDefault,
}

impl FkAction {
    /// Parses the spec spelling.
    pub fn parse(s: &str) -> Option<FkAction> {
        Some(match s.to_ascii_lowercase().replace('_', " ").as_str() {
            "no action" => FkAction::NoAction,
            "restrict" => FkAction::Restrict,
            "cascade" => FkAction::Cascade,
            "set null" => FkAction::SetNull,
            "set default" => FkAction::SetDefault,
            _ => return None,
        })
    }

    /// SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "no action",
            FkAction::Restrict => "restrict",
            FkAction::Cascade => "cascade",
            FkAction::SetNull => "set null",
            FkAction::SetDefault => "set default",
        }
    }
}

/// An index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// Index name.
    pub name: String,
    /// Columns with their direction.
    pub columns: Vec<IndexColumn>,
    /// Unique index.
    pub unique: bool,
    /// Access method.
    pub method: String,
}

/// One indexed column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexColumn {
    /// Column name.
    pub name: String,
    /// Descending order.
    pub descending: bool,
    /// Operator class, when not the type's default (`vector_cosine_ops`, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
}

/// The command a policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// SELECT
    Select,
    /// INSERT
    Insert,
    /// UPDATE
    Update,
    /// DELETE
    Delete,
    /// ALL
    All,
}

impl Command {
    /// Parses the spec spelling.
    pub fn parse(s: &str) -> Option<Command> {
        Some(match s.to_ascii_lowercase().as_str() {
            "select" => Command::Select,
            "insert" => Command::Insert,
            "update" => Command::Update,
            "delete" => Command::Delete,
            "all" => Command::All,
            _ => return None,
        })
    }

    /// SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            Command::Select => "select",
            Command::Insert => "insert",
            Command::Update => "update",
            Command::Delete => "delete",
            Command::All => "all",
        }
    }
}

/// A Row Level Security policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Name.
    pub name: String,
    /// Command.
    pub command: Command,
    /// Roles; empty means `public`.
    pub roles: Vec<String>,
    /// USING expression.
    pub using: Option<String>,
    /// WITH CHECK expression.
    pub with_check: Option<String>,
    /// Restrictive policy.
    pub restrictive: bool,
}

/// Privileges of one role on a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// Role.
    pub role: String,
    /// Privileges, lowercase, sorted; `all` stands alone.
    pub privileges: Vec<String>,
}

/// The API roles every project has.
pub const API_ROLES: &[&str] = &["anon", "authenticated", "service_role"];

/// A typed endpoint under `/api`.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Collection path.
    pub path: String,
    /// Message of its 404.
    pub not_found: String,
    /// Message of its 409.
    pub conflict: Option<String>,
    /// What it serves.
    pub kind: EndpointKind,
}

/// Kinds of typed endpoints.
#[derive(Debug, Clone, PartialEq)]
pub enum EndpointKind {
    /// CRUD over a table.
    Crud(Box<Crud>),
    /// A Rust handler of the runtime.
    Handler {
        /// Its name.
        name: String,
        /// `GET` or `POST`.
        method: String,
        /// Shape of the request body.
        request: Shape,
        /// Shape of the response.
        response: Shape,
    },
    /// A function call.
    Sql {
        /// `GET` or `POST`.
        method: String,
        /// Schema.
        schema: String,
        /// Function.
        function: String,
    },
}

/// CRUD over a table; see `runtime::meta::Crud`.
#[derive(Debug, Clone, PartialEq)]
pub struct Crud {
    /// Schema.
    pub schema: String,
    /// Table.
    pub table: String,
    /// Item path parameter.
    pub item_param: String,
    /// Key column.
    pub key: String,
    /// Owner column.
    pub owner: Option<String>,
    /// Parent (endpoint path, param, column).
    pub parent: Option<(String, String, String)>,
    /// Operations.
    pub operations: Vec<String>,
    /// (field, column) renames.
    pub renames: Vec<(String, String)>,
    /// Fields PATCH reads.
    pub update_fields: Vec<String>,
    /// Lookup (field, table, column, key, sets).
    pub lookup: Option<(String, String, String, String, String)>,
    /// (field, check) pairs of named runtime checks.
    pub checks: Vec<(String, String)>,
    /// Columns never answered nor accepted.
    pub hidden: Vec<String>,
    /// A sealed secret: (field, column, hint column).
    pub seal: Option<(String, String, Option<String>)>,
    /// JSON objects of sealed credentials: (column, key path inside it).
    pub sealed_objects: Vec<(String, Vec<String>)>,
}

/// The handlers the runtime implements (`runtime::api::handler`).
pub const HANDLERS: &[&str] = &["whoami"];

/// The named checks the runtime implements (`runtime::api::check_field`).
pub const FIELD_CHECKS: &[&str] = &["database_schemas", "hook_config", "tool_config"];
