//! Emits the OpenAPI 3.0 document describing one exposed schema on `/rest/v1`.
//!
//! The layout follows what PostgREST serves at `GET /`: one path per table with list,
//! insert, update and delete operations, reusable query and header parameters, one
//! `rowFilter.<table>.<column>` parameter per column, and per-table row schemas whose
//! property descriptions carry the `<pk/>` and `<fk .../>` markers that PostgREST
//! clients read. Value constraints of the spec (lengths, enums, ranges, JSON shapes)
//! become JSON Schema keywords, so the document states exactly what the server accepts.
//!
//! Every map is filled in IR order, so the same IR always gives the same bytes.

use crate::ir::{
    BaseType, Column, DefaultValue, Field, Function, Ir, JsonType, Returns, Rule, Shape, SqlType,
    Table,
};
use openapiv3::{
    APIKeyLocation, AdditionalProperties, AnySchema, ArrayType, BooleanType, Components, Header,
    HeaderStyle, Info, IntegerFormat, IntegerType, MediaType, NumberFormat, NumberType, ObjectType,
    OpenAPI, Operation, Parameter, ParameterData, ParameterSchemaOrContent, PathItem, Paths,
    QueryStyle, ReferenceOr, RequestBody, Response, Responses, Schema, SchemaData, SchemaKind,
    SecurityRequirement, SecurityScheme, Server, StatusCode, StringFormat, StringType, Tag, Type,
    VariantOrUnknownOrEmpty,
};

/// Media type of array responses and request bodies.
const JSON: &str = "application/json";
/// Media type asking for exactly one row as a bare object.
const SINGLE_OBJECT: &str = "application/vnd.pgrst.object+json";

/// Name of the shared error body schema.
const ERROR_SCHEMA: &str = "Error";

/// Shared error responses: (status, component name, description).
const ERRORS: &[(u16, &str, &str)] = &[
    (
        400,
        "Error400",
        "Bad request: malformed filter, select or order, unknown column, or a value that breaks a column constraint.",
    ),
    (
        401,
        "Error401",
        "Not authenticated: the `apikey` header or the bearer JWT is missing, expired or invalid.",
    ),
    (
        403,
        "Error403",
        "Forbidden: the role lacks the privilege, or a row level security policy rejected the row.",
    ),
    (
        404,
        "Error404",
        "Not found: no such table in the selected schema.",
    ),
    (
        406,
        "Error406",
        "Not acceptable: a single object was asked for but the result has zero or several rows, or the requested profile is not an exposed schema.",
    ),
    (
        409,
        "Error409",
        "Conflict: the write breaks a unique or foreign key constraint.",
    ),
];

/// The OpenAPI 3.0 document for the tables of one exposed schema, as pretty JSON ending in a newline.
pub fn emit_openapi(ir: &Ir, schema: &str) -> String {
    to_json(&document(ir, schema))
}

/// Serializes a document as pretty JSON ending in a newline.
pub(super) fn to_json(doc: &OpenAPI) -> String {
    let mut out = serde_json::to_string_pretty(doc).expect("an OpenAPI document always serializes");
    out.push('\n');
    out
}

/// The document for one exposed schema.
pub(super) fn document(ir: &Ir, schema: &str) -> OpenAPI {
    let relations = ir.relations();
    let tables: Vec<&Table> = relations
        .iter()
        .filter(|t| t.schema == schema && t.exposed)
        .collect();
    // Views that no role may write through are read-only paths.
    let read_only: Vec<&str> = ir
        .views
        .iter()
        .filter(|v| v.schema == schema && !v.writable())
        .map(|v| v.name.as_str())
        .collect();

    let mut components = Components::default();
    security_schemes(&mut components);
    shared_parameters(&mut components);
    for t in &tables {
        for c in &t.columns {
            components
                .parameters
                .insert(filter_name(t, c), ReferenceOr::Item(filter_parameter(c)));
        }
    }
    for t in &tables {
        table_components(&mut components, t);
    }
    components
        .schemas
        .insert(ERROR_SCHEMA.to_string(), ReferenceOr::Item(error_schema()));
    for (_, name, description) in ERRORS {
        components.responses.insert(
            (*name).to_string(),
            ReferenceOr::Item(Response {
                description: (*description).to_string(),
                content: [(
                    JSON.to_string(),
                    media(ReferenceOr::ref_(&schema_ref(ERROR_SCHEMA))),
                )]
                .into_iter()
                .collect(),
                ..Default::default()
            }),
        );
    }

    let mut paths = Paths::default();
    for t in &tables {
        paths.paths.insert(
            format!("/{}", t.name),
            ReferenceOr::Item(path_item(t, !read_only.contains(&t.name.as_str()))),
        );
    }

    for f in ir
        .functions
        .iter()
        .filter(|f| f.schema == schema && f.exposed)
    {
        paths.paths.insert(
            format!("/rpc/{}", f.name),
            ReferenceOr::Item(rpc_path_item(f)),
        );
    }

    let schema_comment = ir
        .schemas
        .iter()
        .find(|s| s.name == schema)
        .and_then(|s| s.comment.as_deref());
    let profile_note = format!(
        "Tables of the `{schema}` schema. Pick the schema with the `Accept-Profile` header on \
         GET and HEAD and with the `Content-Profile` header on POST, PATCH and DELETE; \
         without them the default schema is used. Authenticate with the `apikey` header \
         and, for a signed-in user, `Authorization: Bearer <JWT>`."
    );
    let description = match schema_comment {
        Some(c) => format!("{c}\n\n{profile_note}"),
        None => profile_note,
    };

    let security: Vec<SecurityRequirement> = ["apikey", "bearer"]
        .into_iter()
        .map(|name| [(name.to_string(), Vec::new())].into_iter().collect())
        .collect();

    OpenAPI {
        openapi: "3.0.3".to_string(),
        info: Info {
            title: format!("Ferrobase REST API (schema `{schema}`)"),
            description: Some(description),
            version: "1".to_string(),
            ..Default::default()
        },
        servers: vec![Server {
            url: "/rest/v1".to_string(),
            ..Default::default()
        }],
        paths,
        components: Some(components),
        security: Some(security),
        tags: tables
            .iter()
            .map(|t| Tag {
                name: t.name.clone(),
                description: t.comment.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------
// References and small builders

pub(super) fn schema_ref(name: &str) -> String {
    format!("#/components/schemas/{name}")
}

fn parameter_ref(name: &str) -> ReferenceOr<Parameter> {
    ReferenceOr::ref_(&format!("#/components/parameters/{name}"))
}

pub(super) fn response_ref(name: &str) -> ReferenceOr<Response> {
    ReferenceOr::ref_(&format!("#/components/responses/{name}"))
}

fn request_body_ref(name: &str) -> ReferenceOr<RequestBody> {
    ReferenceOr::ref_(&format!("#/components/requestBodies/{name}"))
}

pub(super) fn plain(kind: SchemaKind) -> Schema {
    Schema {
        schema_data: SchemaData::default(),
        schema_kind: kind,
    }
}

fn described(kind: SchemaKind, description: &str) -> Schema {
    Schema {
        schema_data: SchemaData {
            description: Some(description.to_string()),
            ..Default::default()
        },
        schema_kind: kind,
    }
}

fn string_kind(format: Option<&str>) -> SchemaKind {
    SchemaKind::Type(Type::String(StringType {
        format: format.map(str::to_string).into(),
        ..Default::default()
    }))
}

pub(super) fn any_kind() -> SchemaKind {
    SchemaKind::Any(AnySchema::default())
}

pub(super) fn array_of(items: ReferenceOr<Schema>) -> SchemaKind {
    let items = match items {
        ReferenceOr::Item(s) => ReferenceOr::Item(Box::new(s)),
        ReferenceOr::Reference { reference } => ReferenceOr::Reference { reference },
    };
    SchemaKind::Type(Type::Array(ArrayType {
        items: Some(items),
        min_items: None,
        max_items: None,
        unique_items: false,
    }))
}

pub(super) fn media(schema: ReferenceOr<Schema>) -> MediaType {
    MediaType {
        schema: Some(schema),
        ..Default::default()
    }
}

/// `application/json` with an array of rows and the single-object media type with one row.
fn rows_content(table: &str) -> Vec<(String, MediaType)> {
    vec![
        (
            JSON.to_string(),
            media(ReferenceOr::Item(plain(array_of(ReferenceOr::ref_(
                &schema_ref(table),
            ))))),
        ),
        (
            SINGLE_OBJECT.to_string(),
            media(ReferenceOr::ref_(&schema_ref(table))),
        ),
    ]
}

fn parameter_data(name: &str, description: &str, schema: Schema) -> ParameterData {
    ParameterData {
        name: name.to_string(),
        description: Some(description.to_string()),
        required: false,
        deprecated: None,
        format: ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)),
        example: None,
        examples: Default::default(),
        explode: None,
        extensions: Default::default(),
    }
}

pub(super) fn query(name: &str, description: &str, schema: Schema) -> Parameter {
    Parameter::Query {
        parameter_data: parameter_data(name, description, schema),
        allow_reserved: false,
        style: QueryStyle::Form,
        allow_empty_value: None,
    }
}

fn header(name: &str, description: &str, schema: Schema) -> Parameter {
    Parameter::Header {
        parameter_data: parameter_data(name, description, schema),
        style: HeaderStyle::Simple,
    }
}

fn string_enum(values: &[&str]) -> Schema {
    plain(SchemaKind::Type(Type::String(StringType {
        enumeration: values.iter().map(|v| Some((*v).to_string())).collect(),
        ..Default::default()
    })))
}

fn non_negative_integer() -> Schema {
    plain(SchemaKind::Type(Type::Integer(IntegerType {
        minimum: Some(0),
        ..Default::default()
    })))
}

// ---------------------------------------------------------------------------------------
// Shared components

fn security_schemes(components: &mut Components) {
    components.security_schemes.insert(
        "apikey".to_string(),
        ReferenceOr::Item(SecurityScheme::APIKey {
            location: APIKeyLocation::Header,
            name: "apikey".to_string(),
            description: Some(
                "The project's anon or service_role key; every request carries one.".to_string(),
            ),
            extensions: Default::default(),
        }),
    );
    components.security_schemes.insert(
        "bearer".to_string(),
        ReferenceOr::Item(SecurityScheme::HTTP {
            scheme: "bearer".to_string(),
            bearer_format: Some("JWT".to_string()),
            description: Some(
                "A user's access token; its `role` claim selects the database role and its \
                 `sub` claim is what `auth.uid()` returns."
                    .to_string(),
            ),
            extensions: Default::default(),
        }),
    );
}

fn shared_parameters(components: &mut Components) {
    let params: Vec<(&str, Parameter)> = vec![
        (
            "select",
            query(
                "select",
                "Comma-separated columns to return; `*` (the default) returns them all. \
                 A column can be renamed with `alias:column`, and rows of a related table are \
                 embedded with `relation(columns)`.",
                plain(string_kind(None)),
            ),
        ),
        (
            "order",
            query(
                "order",
                "Sort keys, comma-separated, each `column`, `column.asc` or `column.desc`, \
                 optionally followed by `.nullsfirst` or `.nullslast`, e.g. `created_at.desc,id`; \
                 `relation(column)` sorts by a column of an embedded to-one relation.",
                plain(string_kind(None)),
            ),
        ),
        (
            "limit",
            query(
                "limit",
                "Return at most this many rows.",
                non_negative_integer(),
            ),
        ),
        (
            "offset",
            query(
                "offset",
                "Skip this many rows before returning any.",
                non_negative_integer(),
            ),
        ),
        (
            "range",
            header(
                "Range",
                "Zero-based, inclusive row window `first-last`, e.g. `0-9` for the first ten \
                 rows; an alternative to `offset` and `limit`.",
                plain(string_kind(None)),
            ),
        ),
        (
            "rangeUnit",
            header(
                "Range-Unit",
                "Unit of the `Range` header; always `items`.",
                Schema {
                    schema_data: SchemaData {
                        default: Some(serde_json::Value::String("items".to_string())),
                        ..Default::default()
                    },
                    schema_kind: string_kind(None),
                },
            ),
        ),
        (
            "preferReturn",
            header(
                "Prefer",
                "`return=representation` sends the written rows back (shaped by `select`); \
                 `return=minimal`, the default, sends no body.",
                string_enum(&["return=representation", "return=minimal"]),
            ),
        ),
        (
            "preferCount",
            header(
                "Prefer",
                "Ask for the total number of matching rows, reported after the slash in the \
                 `Content-Range` response header: `exact` counts them, `planned` takes the \
                 planner's estimate, `estimated` counts exactly up to a threshold.",
                string_enum(&["count=exact", "count=planned", "count=estimated"]),
            ),
        ),
        (
            "on_conflict",
            query(
                "on_conflict",
                "Comma-separated columns of a unique constraint used to detect existing rows \
                 when upserting; pair it with `Prefer: resolution=merge-duplicates` (update \
                 them) or `Prefer: resolution=ignore-duplicates` (skip them).",
                plain(string_kind(None)),
            ),
        ),
    ];
    for (name, p) in params {
        components
            .parameters
            .insert(name.to_string(), ReferenceOr::Item(p));
    }
}

fn error_schema() -> Schema {
    let nullable_string = |description: &str| Schema {
        schema_data: SchemaData {
            nullable: true,
            description: Some(description.to_string()),
            ..Default::default()
        },
        schema_kind: string_kind(None),
    };
    let properties = [
        (
            "code",
            described(
                string_kind(None),
                "Machine-readable code: a Postgres SQLSTATE or an API code such as `PGRST116`.",
            ),
        ),
        (
            "message",
            described(string_kind(None), "What went wrong, for people."),
        ),
        (
            "details",
            Schema {
                schema_data: SchemaData {
                    nullable: true,
                    description: Some("More about the failure, when there is more.".to_string()),
                    ..Default::default()
                },
                schema_kind: any_kind(),
            },
        ),
        (
            "hint",
            nullable_string("A suggestion for fixing the request."),
        ),
    ];
    Schema {
        schema_data: SchemaData {
            description: Some("The body of every error response.".to_string()),
            ..Default::default()
        },
        schema_kind: SchemaKind::Type(Type::Object(ObjectType {
            properties: properties
                .into_iter()
                .map(|(k, s)| (k.to_string(), ReferenceOr::Item(Box::new(s))))
                .collect(),
            required: vec!["code".to_string(), "message".to_string()],
            ..Default::default()
        })),
    }
}

// ---------------------------------------------------------------------------------------
// Per-table components

fn filter_name(table: &Table, column: &Column) -> String {
    format!("rowFilter.{}.{}", table.name, column.name)
}

fn filter_parameter(column: &Column) -> Parameter {
    query(
        &column.name,
        &format!(
            "Keep the rows whose `{}` ({}) passes the condition, written `operator.value`: \
             e.g. `eq.x`, `neq.x`, `gt.5`, `lte.5`, `like.*x*`, `ilike.*x*`, `in.(a,b)`, \
             `is.null`, `is.true`; put `not.` in front to negate.",
            column.name,
            column.ty.sql()
        ),
        plain(string_kind(None)),
    )
}

fn table_components(components: &mut Components, table: &Table) {
    let name = &table.name;
    components.schemas.insert(
        name.clone(),
        ReferenceOr::Item(row_schema(table, table.comment.clone(), |c| !c.nullable)),
    );
    components.schemas.insert(
        format!("{name}_insert"),
        ReferenceOr::Item(row_schema(
            table,
            Some(format!(
                "A row to insert into `{name}`; columns that allow null or have a default may \
                 be left out."
            )),
            |c| !c.nullable && c.default.is_none(),
        )),
    );
    components.schemas.insert(
        format!("{name}_update"),
        ReferenceOr::Item(row_schema(
            table,
            Some(format!(
                "New values for rows of `{name}`; columns left out keep their value."
            )),
            |_| false,
        )),
    );

    let insert_ref = ReferenceOr::ref_(&schema_ref(&format!("{name}_insert")));
    components.request_bodies.insert(
        name.clone(),
        ReferenceOr::Item(RequestBody {
            description: Some(format!(
                "One `{name}` row, or an array of rows to insert together."
            )),
            content: [(
                JSON.to_string(),
                media(ReferenceOr::Item(plain(SchemaKind::OneOf {
                    one_of: vec![
                        insert_ref.clone(),
                        ReferenceOr::Item(plain(array_of(insert_ref))),
                    ],
                }))),
            )]
            .into_iter()
            .collect(),
            required: true,
            extensions: Default::default(),
        }),
    );
    components.request_bodies.insert(
        format!("{name}_update"),
        ReferenceOr::Item(RequestBody {
            description: Some(format!(
                "The columns to change in every `{name}` row the filters match."
            )),
            content: [(
                JSON.to_string(),
                media(ReferenceOr::ref_(&schema_ref(&format!("{name}_update")))),
            )]
            .into_iter()
            .collect(),
            required: true,
            extensions: Default::default(),
        }),
    );
}

fn row_schema(
    table: &Table,
    description: Option<String>,
    required: impl Fn(&Column) -> bool,
) -> Schema {
    Schema {
        schema_data: SchemaData {
            description,
            ..Default::default()
        },
        schema_kind: SchemaKind::Type(Type::Object(ObjectType {
            properties: table
                .columns
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        ReferenceOr::Item(Box::new(column_schema(table, c))),
                    )
                })
                .collect(),
            required: table
                .columns
                .iter()
                .filter(|c| required(c))
                .map(|c| c.name.clone())
                .collect(),
            ..Default::default()
        })),
    }
}

// ---------------------------------------------------------------------------------------
// Column and JSON value schemas

pub(super) fn column_schema(table: &Table, column: &Column) -> Schema {
    let SqlType { base, array } = column.ty;
    let kind = if array {
        array_of(ReferenceOr::Item(plain(base_kind(
            base,
            &column.rule,
            false,
        ))))
    } else {
        base_kind(base, &column.rule, column.nullable)
    };
    // Object and array defaults are left out: several SDK generators accept only scalar
    // defaults, and the description of a JSON column says what it holds.
    let default = match &column.default {
        Some(DefaultValue::Literal(v)) if !v.is_object() && !v.is_array() => Some(v.clone()),
        _ => None,
    };
    Schema {
        schema_data: SchemaData {
            nullable: column.nullable,
            description: column_description(table, column),
            default,
            read_only: column.generated.is_some(),
            ..Default::default()
        },
        schema_kind: kind,
    }
}

/// The schema of a value of an SQL type, without constraints.
pub(super) fn type_schema(ty: SqlType) -> Schema {
    let kind = base_kind(ty.base, &Rule::default(), false);
    if ty.array {
        plain(array_of(ReferenceOr::Item(plain(kind))))
    } else {
        plain(kind)
    }
}

/// `/rpc/<function>`: POST with a JSON object of arguments, and GET with query parameters
/// for functions that change nothing.
fn rpc_path_item(f: &Function) -> PathItem {
    let properties = f
        .args
        .iter()
        .map(|a| (a.name.clone(), ReferenceOr::boxed_item(type_schema(a.ty))))
        .collect();
    let required: Vec<String> = f
        .args
        .iter()
        .filter(|a| a.default_sql.is_none())
        .map(|a| a.name.clone())
        .collect();
    // One unnamed JSON argument takes the whole body, whatever its shape.
    let unnamed = matches!(f.args.as_slice(), [a] if a.name.is_empty());
    let args_schema = if unnamed {
        plain(any_kind())
    } else {
        plain(SchemaKind::Type(Type::Object(ObjectType {
            properties,
            required,
            ..Default::default()
        })))
    };
    let (status, result): (u16, Option<ReferenceOr<Schema>>) = match &f.returns {
        Returns::Scalar(ty) => (200, Some(ReferenceOr::Item(type_schema(*ty)))),
        Returns::SetOf(t) => (
            200,
            Some(ReferenceOr::Item(plain(array_of(ReferenceOr::ref_(
                &schema_ref(t),
            ))))),
        ),
        Returns::Row(t) => (200, Some(ReferenceOr::ref_(&schema_ref(t)))),
        Returns::Void => (204, None),
    };
    let mut responses = Responses::default();
    responses.responses.insert(
        StatusCode::Code(status),
        ReferenceOr::Item(Response {
            description: match &f.returns {
                Returns::Void => "Done; the function returns nothing.".to_string(),
                _ => "The function's result.".to_string(),
            },
            content: result
                .map(|r| [(JSON.to_string(), media(r))].into_iter().collect())
                .unwrap_or_default(),
            ..Default::default()
        }),
    );
    for (code, name, _) in ERRORS {
        if *code != 409 {
            responses
                .responses
                .insert(StatusCode::Code(*code), response_ref(name));
        }
    }
    let (summary, description) = split_comment(f.comment.as_deref());
    let mut table_params = Vec::new();
    if let Returns::SetOf(_) = f.returns {
        for n in [
            "select",
            "order",
            "range",
            "rangeUnit",
            "offset",
            "limit",
            "preferCount",
        ] {
            table_params.push(parameter_ref(n));
        }
    }
    let post = Operation {
        tags: vec!["rpc".to_string()],
        summary: summary.clone(),
        description: description.clone(),
        operation_id: Some(format!("rpc_{}", f.name)),
        parameters: table_params.clone(),
        request_body: Some(ReferenceOr::Item(RequestBody {
            description: Some("The arguments, by name.".to_string()),
            content: [(JSON.to_string(), media(ReferenceOr::Item(args_schema)))]
                .into_iter()
                .collect(),
            required: true,
            ..Default::default()
        })),
        responses: responses.clone(),
        ..Default::default()
    };
    let get = (f.volatility != "volatile" && !unnamed).then(|| {
        let mut parameters: Vec<ReferenceOr<Parameter>> = f
            .args
            .iter()
            .map(|a| {
                let mut p = query(
                    &a.name,
                    &format!("Argument `{}` ({}).", a.name, a.ty.sql()),
                    type_schema(a.ty),
                );
                if let Parameter::Query { parameter_data, .. } = &mut p {
                    parameter_data.required = a.default_sql.is_none();
                }
                ReferenceOr::Item(p)
            })
            .collect();
        parameters.extend(table_params);
        Operation {
            tags: vec!["rpc".to_string()],
            summary,
            description,
            operation_id: Some(format!("rpc_{}_get", f.name)),
            parameters,
            responses,
            ..Default::default()
        }
    });
    PathItem {
        post: Some(post),
        get,
        ..Default::default()
    }
}

/// The comment followed by PostgREST's primary key and foreign key notes.
fn column_description(table: &Table, column: &Column) -> Option<String> {
    let pk = table.primary_key.contains(&column.name);
    let fk = table.foreign_keys.iter().find_map(|fk| {
        let i = fk.columns.iter().position(|c| *c == column.name)?;
        let ref_column = fk.ref_columns.get(i)?;
        Some(format!(
            "This is a Foreign Key to `{t}.{ref_column}`.<fk table='{t}' column='{ref_column}'/>",
            t = fk.ref_table
        ))
    });
    let mut notes = Vec::new();
    if pk || fk.is_some() {
        notes.push("Note:".to_string());
    }
    if pk {
        notes.push("This is a Primary Key.<pk/>".to_string());
    }
    notes.extend(fk);
    if notes.is_empty() {
        return column.comment.clone();
    }
    let notes = notes.join("\n");
    Some(match &column.comment {
        Some(c) => format!("{c}\n\n{notes}"),
        None => notes,
    })
}

fn base_kind(base: BaseType, rule: &Rule, nullable: bool) -> SchemaKind {
    match base {
        BaseType::Uuid => string_kind(Some("uuid")),
        BaseType::Text | BaseType::Bytea => string_with_rule(None, rule, nullable),
        BaseType::Boolean => SchemaKind::Type(Type::Boolean(BooleanType::default())),
        BaseType::SmallInt | BaseType::Integer => {
            integer_with_rule(Some(IntegerFormat::Int32), rule)
        }
        BaseType::BigInt => integer_with_rule(Some(IntegerFormat::Int64), rule),
        BaseType::Real => number_with_rule(Some(NumberFormat::Float), rule),
        BaseType::Double => number_with_rule(Some(NumberFormat::Double), rule),
        BaseType::Numeric => number_with_rule(None, rule),
        BaseType::Jsonb | BaseType::Json => match &rule.shape {
            Some(shape) => shape_kind(shape),
            None => any_kind(),
        },
        BaseType::Timestamptz | BaseType::Timestamp => {
            string_with_rule(Some(StringFormat::DateTime), rule, nullable)
        }
        BaseType::Date => string_with_rule(Some(StringFormat::Date), rule, nullable),
        BaseType::Time => string_kind(Some("time")),
        BaseType::TsVector => string_kind(Some("tsvector")),
        BaseType::Vector(n) => vector_kind(n),
    }
}

/// A pgvector value: answered in its text form (`[0.1,0.2,...]`, as PostgREST does), and
/// accepted in that form or as a JSON array of numbers (exactly `n` when the width is set).
fn vector_kind(n: Option<u32>) -> SchemaKind {
    let numbers = SchemaKind::Type(Type::Array(ArrayType {
        items: Some(ReferenceOr::boxed_item(plain(SchemaKind::Type(
            Type::Number(NumberType::default()),
        )))),
        min_items: n.map(|n| n as usize),
        max_items: n.map(|n| n as usize),
        unique_items: false,
    }));
    SchemaKind::OneOf {
        one_of: vec![
            ReferenceOr::Item(plain(string_kind(Some("vector")))),
            ReferenceOr::Item(plain(numbers)),
        ],
    }
}

/// A string schema carrying the rule's length bounds and allowed values. With an enum, a
/// nullable value lists `null` among them, as OpenAPI 3.0.3 asks.
fn string_with_rule(format: Option<StringFormat>, rule: &Rule, nullable: bool) -> SchemaKind {
    let mut enumeration: Vec<Option<String>> = rule.one_of.iter().cloned().map(Some).collect();
    if nullable && !enumeration.is_empty() {
        enumeration.push(None);
    }
    SchemaKind::Type(Type::String(StringType {
        format: match format {
            Some(f) => VariantOrUnknownOrEmpty::Item(f),
            None => VariantOrUnknownOrEmpty::Empty,
        },
        pattern: None,
        enumeration,
        min_length: rule.min_length.map(|n| n as usize),
        max_length: rule.max_length.map(|n| n as usize),
    }))
}

fn number_with_rule(format: Option<NumberFormat>, rule: &Rule) -> SchemaKind {
    SchemaKind::Type(Type::Number(NumberType {
        format: match format {
            Some(f) => VariantOrUnknownOrEmpty::Item(f),
            None => VariantOrUnknownOrEmpty::Empty,
        },
        minimum: rule.minimum,
        maximum: rule.maximum,
        ..Default::default()
    }))
}

/// An integer schema; fractional bounds are tightened to the integers they admit.
fn integer_with_rule(format: Option<IntegerFormat>, rule: &Rule) -> SchemaKind {
    SchemaKind::Type(Type::Integer(IntegerType {
        format: match format {
            Some(f) => VariantOrUnknownOrEmpty::Item(f),
            None => VariantOrUnknownOrEmpty::Empty,
        },
        minimum: rule.minimum.map(|m| m.ceil() as i64),
        maximum: rule.maximum.map(|m| m.floor() as i64),
        ..Default::default()
    }))
}

pub(super) fn shape_kind(shape: &Shape) -> SchemaKind {
    SchemaKind::Type(Type::Object(ObjectType {
        properties: shape
            .fields
            .iter()
            .map(|f| (f.name.clone(), ReferenceOr::Item(Box::new(field_schema(f)))))
            .collect(),
        required: shape
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.clone())
            .collect(),
        additional_properties: shape.closed.then_some(AdditionalProperties::Any(false)),
        ..Default::default()
    }))
}

fn field_schema(field: &Field) -> Schema {
    Schema {
        schema_data: SchemaData {
            nullable: field.nullable,
            description: field.comment.clone(),
            ..Default::default()
        },
        schema_kind: json_kind(field.ty, &field.rule, field.nullable, field.items),
    }
}

fn json_kind(ty: JsonType, rule: &Rule, nullable: bool, items: Option<JsonType>) -> SchemaKind {
    match ty {
        JsonType::String => string_with_rule(None, rule, nullable),
        JsonType::Number => number_with_rule(None, rule),
        JsonType::Integer => integer_with_rule(None, rule),
        JsonType::Boolean => SchemaKind::Type(Type::Boolean(BooleanType::default())),
        JsonType::Array => array_of(ReferenceOr::Item(plain(match items {
            Some(item) => json_kind(item, &Rule::default(), false, None),
            None => any_kind(),
        }))),
        JsonType::Object => SchemaKind::Type(Type::Object(ObjectType::default())),
    }
}

// ---------------------------------------------------------------------------------------
// Paths

/// The operations of a table or view path; `writable` false leaves only the read.
fn path_item(table: &Table, writable: bool) -> PathItem {
    let name = &table.name;
    let filters: Vec<ReferenceOr<Parameter>> = table
        .columns
        .iter()
        .map(|c| parameter_ref(&filter_name(table, c)))
        .collect();
    let refs = |names: &[&str]| -> Vec<ReferenceOr<Parameter>> {
        names.iter().map(|n| parameter_ref(n)).collect()
    };

    let mut get_params = refs(&["select"]);
    get_params.extend(filters.iter().cloned());
    get_params.extend(refs(&[
        "order",
        "range",
        "rangeUnit",
        "offset",
        "limit",
        "preferCount",
    ]));

    let post_params = refs(&["select", "preferReturn", "on_conflict"]);

    let mut write_params = filters.clone();
    write_params.extend(refs(&["select", "preferReturn"]));

    let content_range = || -> Vec<(String, ReferenceOr<Header>)> {
        vec![(
            "Content-Range".to_string(),
            ReferenceOr::Item(Header {
                description: Some(
                    "Returned rows as `first-last/total`; the total is `*` unless a count \
                     was asked for."
                        .to_string(),
                ),
                style: HeaderStyle::Simple,
                required: false,
                deprecated: None,
                format: ParameterSchemaOrContent::Schema(ReferenceOr::Item(plain(string_kind(
                    None,
                )))),
                example: None,
                examples: Default::default(),
                extensions: Default::default(),
            }),
        )]
    };
    let rows = |description: &str, with_range: bool| Response {
        description: description.to_string(),
        headers: if with_range {
            content_range().into_iter().collect()
        } else {
            Default::default()
        },
        content: rows_content(name).into_iter().collect(),
        ..Default::default()
    };
    let no_content = |description: &str| Response {
        description: description.to_string(),
        ..Default::default()
    };

    let (summary, long) = split_comment(table.comment.as_deref());
    let operation = |id: &str,
                     what: String,
                     parameters: Vec<ReferenceOr<Parameter>>,
                     body: Option<&str>,
                     ok: Vec<(u16, Response)>,
                     errors: &[u16]| {
        let description = match &long {
            Some(l) => format!("{what}\n\n{l}"),
            None => what,
        };
        let mut responses = Responses::default();
        for (code, r) in ok {
            responses
                .responses
                .insert(StatusCode::Code(code), ReferenceOr::Item(r));
        }
        for (code, component, _) in ERRORS {
            if errors.contains(code) {
                responses
                    .responses
                    .insert(StatusCode::Code(*code), response_ref(component));
            }
        }
        Operation {
            tags: vec![name.clone()],
            summary: summary.clone(),
            description: Some(description),
            operation_id: Some(format!("{name}_{id}")),
            parameters,
            request_body: body.map(request_body_ref),
            responses,
            ..Default::default()
        }
    };

    const READ_ERRORS: &[u16] = &[400, 401, 403, 404, 406];
    const WRITE_ERRORS: &[u16] = &[400, 401, 403, 404, 406, 409];

    let item = PathItem {
        get: Some(operation(
            "select",
            format!(
                "Read rows of `{name}` that match the filters. Send \
                 `Accept: {SINGLE_OBJECT}` to get exactly one row as an object."
            ),
            get_params,
            None,
            vec![
                (200, rows("OK: the matching rows.", true)),
                (
                    206,
                    rows(
                        "Partial Content: a window of the matching rows, as `Content-Range` tells.",
                        true,
                    ),
                ),
            ],
            READ_ERRORS,
        )),
        post: Some(operation(
            "insert",
            format!(
                "Insert one row or an array of rows into `{name}`; with `on_conflict` and a \
                 `resolution` preference, an upsert."
            ),
            post_params,
            Some(name),
            vec![(
                201,
                rows(
                    "Created. The body holds the new rows with `Prefer: return=representation` \
                     and is empty otherwise.",
                    false,
                ),
            )],
            WRITE_ERRORS,
        )),
        patch: Some(operation(
            "update",
            format!(
                "Change every row of `{name}` the filters match; at least one filter is \
                 required."
            ),
            write_params.clone(),
            Some(&format!("{name}_update")),
            vec![
                (
                    200,
                    rows(
                        "OK: the updated rows (`Prefer: return=representation`).",
                        false,
                    ),
                ),
                (
                    204,
                    no_content("No Content: rows updated, nothing returned."),
                ),
            ],
            WRITE_ERRORS,
        )),
        delete: Some(operation(
            "delete",
            format!(
                "Delete every row of `{name}` the filters match; at least one filter is \
                 required."
            ),
            write_params,
            None,
            vec![
                (
                    200,
                    rows(
                        "OK: the deleted rows (`Prefer: return=representation`).",
                        false,
                    ),
                ),
                (
                    204,
                    no_content("No Content: rows deleted, nothing returned."),
                ),
            ],
            WRITE_ERRORS,
        )),
        ..Default::default()
    };
    if writable {
        item
    } else {
        PathItem {
            get: item.get,
            ..Default::default()
        }
    }
}

/// First line of a comment as summary, the rest (if any) as extra description.
pub(super) fn split_comment(comment: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(c) = comment.map(str::trim).filter(|c| !c.is_empty()) else {
        return (None, None);
    };
    match c.split_once('\n') {
        Some((first, rest)) => {
            let rest = rest.trim();
            (
                Some(first.trim().to_string()),
                (!rest.is_empty()).then(|| rest.to_string()),
            )
        }
        None => (Some(c.to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{FkAction, ForeignKey, Schema as IrSchema};
    use serde_json::{Value, json};

    fn column(name: &str, base: BaseType, nullable: bool) -> Column {
        Column {
            name: name.to_string(),
            ty: SqlType { base, array: false },
            nullable,
            default: None,
            comment: None,
            rule: Rule::default(),
            renamed_from: None,
            generated: None,
        }
    }

    fn table(schema: &str, name: &str, columns: Vec<Column>) -> Table {
        Table {
            schema: schema.to_string(),
            name: name.to_string(),
            comment: None,
            columns,
            primary_key: vec!["id".to_string()],
            uniques: vec![],
            checks: vec![],
            foreign_keys: vec![],
            indexes: vec![],
            rls: true,
            policies: vec![],
            grants: vec![],
            exposed: schema == "public",
            renamed_from: None,
        }
    }

    fn sample() -> Ir {
        let mut id = column("id", BaseType::Uuid, false);
        id.comment = Some("Row id.".to_string());
        id.default = Some(DefaultValue::Sql("gen_random_uuid()".to_string()));
        let user_id = column("user_id", BaseType::Uuid, false);
        let mut name = column("name", BaseType::Text, false);
        name.comment = Some("Display name.".to_string());
        name.rule.min_length = Some(1);
        name.rule.max_length = Some(100);
        let mut framework = column("framework", BaseType::Text, false);
        framework.default = Some(DefaultValue::Literal(json!("openai")));
        framework.rule.one_of = vec!["openai".into(), "anthropic".into(), "google".into()];
        let mut status = column("status", BaseType::Text, true);
        status.rule.one_of = vec!["idle".into(), "thinking".into()];
        let role = column("role", BaseType::Text, true);
        let mut settings = column("settings", BaseType::Jsonb, true);
        settings.default = Some(DefaultValue::Literal(json!({})));
        settings.rule.shape = Some(Shape {
            fields: vec![
                Field {
                    name: "max_tokens".into(),
                    ty: JsonType::Integer,
                    required: false,
                    nullable: false,
                    comment: None,
                    rule: Rule {
                        minimum: Some(0.5),
                        ..Rule::default()
                    },
                    items: None,
                },
                Field {
                    name: "stop".into(),
                    ty: JsonType::Array,
                    required: false,
                    nullable: true,
                    comment: None,
                    rule: Rule::default(),
                    items: Some(JsonType::String),
                },
                Field {
                    name: "temperature".into(),
                    ty: JsonType::Number,
                    required: true,
                    nullable: false,
                    comment: Some("Creativity.".into()),
                    rule: Rule {
                        minimum: Some(0.0),
                        maximum: Some(2.0),
                        ..Rule::default()
                    },
                    items: None,
                },
            ],
            closed: true,
        });
        let mut count = column("runs", BaseType::BigInt, false);
        count.default = Some(DefaultValue::Literal(json!(0)));
        count.rule.minimum = Some(0.0);
        let mut tags = column("tags", BaseType::Text, false);
        tags.ty.array = true;
        let created = column("created_at", BaseType::Timestamptz, true);

        let mut agents = table(
            "public",
            "agents",
            vec![
                id, user_id, name, framework, status, role, settings, count, tags, created,
            ],
        );
        agents.comment = Some("AI agents.\nEach one belongs to a user.".to_string());
        agents.foreign_keys.push(ForeignKey {
            name: "agents_user_id_fkey".into(),
            columns: vec!["user_id".into()],
            ref_schema: "auth".into(),
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
        });
        let users = table("auth", "users", vec![column("id", BaseType::Uuid, false)]);
        Ir {
            schemas: vec![
                IrSchema {
                    name: "auth".into(),
                    exposed: false,
                    aggregates: false,
                    comment: None,
                    source: "auth.yaml".into(),
                },
                IrSchema {
                    name: "public".into(),
                    exposed: true,
                    aggregates: false,
                    comment: Some("The application's tables.".into()),
                    source: "public.yaml".into(),
                },
            ],
            tables: vec![users, agents],
            views: Vec::new(),
            sources: vec!["auth.yaml".into(), "public.yaml".into()],
            functions: vec![],
            allow_destructive: vec![],
            endpoints: vec![],
        }
    }

    fn doc() -> Value {
        let text = emit_openapi(&sample(), "public");
        assert!(text.ends_with("}\n"));
        serde_json::from_str(&text).expect("valid JSON")
    }

    fn at<'a>(doc: &'a Value, pointer: &str) -> &'a Value {
        doc.pointer(pointer)
            .unwrap_or_else(|| panic!("nothing at {pointer}"))
    }

    #[test]
    fn openapi_header_and_security() {
        let d = doc();
        assert_eq!(at(&d, "/openapi"), "3.0.3");
        assert_eq!(
            at(&d, "/info/title"),
            "Ferrobase REST API (schema `public`)"
        );
        assert_eq!(at(&d, "/info/version"), "1");
        let description = at(&d, "/info/description").as_str().unwrap();
        assert!(description.starts_with("The application's tables.\n\n"));
        assert!(description.contains("Accept-Profile"));
        assert!(description.contains("Content-Profile"));
        assert_eq!(at(&d, "/servers"), &json!([{"url": "/rest/v1"}]));
        assert_eq!(at(&d, "/components/securitySchemes/apikey/type"), "apiKey");
        assert_eq!(at(&d, "/components/securitySchemes/apikey/in"), "header");
        assert_eq!(at(&d, "/components/securitySchemes/apikey/name"), "apikey");
        assert_eq!(at(&d, "/components/securitySchemes/bearer/type"), "http");
        assert_eq!(
            at(&d, "/components/securitySchemes/bearer/scheme"),
            "bearer"
        );
        assert_eq!(
            at(&d, "/components/securitySchemes/bearer/bearerFormat"),
            "JWT"
        );
        assert_eq!(
            at(&d, "/security"),
            &json!([{"apikey": []}, {"bearer": []}])
        );
        assert_eq!(at(&d, "/tags/0/name"), "agents");
    }

    #[test]
    fn openapi_paths_and_operations() {
        let d = doc();
        let paths = at(&d, "/paths").as_object().unwrap();
        assert_eq!(paths.keys().collect::<Vec<_>>(), ["/agents"]);
        for (method, id) in [
            ("get", "agents_select"),
            ("post", "agents_insert"),
            ("patch", "agents_update"),
            ("delete", "agents_delete"),
        ] {
            let op = at(&d, &format!("/paths/~1agents/{method}"));
            assert_eq!(op["operationId"], id);
            assert_eq!(op["tags"], json!(["agents"]));
            assert_eq!(op["summary"], "AI agents.");
            assert!(
                op["description"]
                    .as_str()
                    .unwrap()
                    .ends_with("Each one belongs to a user.")
            );
            assert_eq!(
                op["responses"]["401"]["$ref"],
                "#/components/responses/Error401"
            );
        }
        let get = at(&d, "/paths/~1agents/get");
        let params: Vec<&str> = get["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["$ref"].as_str().unwrap())
            .collect();
        assert_eq!(params[0], "#/components/parameters/select");
        assert!(params.contains(&"#/components/parameters/rowFilter.agents.name"));
        assert!(params.contains(&"#/components/parameters/preferCount"));
        assert!(!params.contains(&"#/components/parameters/preferReturn"));
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/agents"}})
        );
        assert_eq!(
            get["responses"]["200"]["content"]["application/vnd.pgrst.object+json"]["schema"]["$ref"],
            "#/components/schemas/agents"
        );
        assert!(get["responses"]["206"].is_object());
        assert!(get["responses"]["409"].is_null());

        let post = at(&d, "/paths/~1agents/post");
        assert_eq!(
            post["requestBody"]["$ref"],
            "#/components/requestBodies/agents"
        );
        assert!(post["responses"]["201"].is_object());
        assert_eq!(
            post["responses"]["409"]["$ref"],
            "#/components/responses/Error409"
        );
        let post_params: Vec<&str> = post["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["$ref"].as_str().unwrap())
            .collect();
        assert_eq!(
            post_params,
            [
                "#/components/parameters/select",
                "#/components/parameters/preferReturn",
                "#/components/parameters/on_conflict"
            ]
        );
        let patch = at(&d, "/paths/~1agents/patch");
        assert_eq!(
            patch["requestBody"]["$ref"],
            "#/components/requestBodies/agents_update"
        );
        assert!(patch["responses"]["204"].is_object());
        assert!(at(&d, "/paths/~1agents/delete/responses/204").is_object());
        assert_eq!(
            at(
                &d,
                "/components/requestBodies/agents/content/application~1json/schema/oneOf/1/items/$ref"
            ),
            "#/components/schemas/agents_insert"
        );
    }

    #[test]
    fn openapi_parameters() {
        let d = doc();
        let filter = at(&d, "/components/parameters/rowFilter.agents.name");
        assert_eq!(filter["name"], "name");
        assert_eq!(filter["in"], "query");
        assert_eq!(filter["schema"], json!({"type": "string"}));
        assert!(filter["description"].as_str().unwrap().contains("eq."));
        assert_eq!(at(&d, "/components/parameters/range/in"), "header");
        assert_eq!(at(&d, "/components/parameters/range/name"), "Range");
        assert_eq!(
            at(&d, "/components/parameters/rangeUnit/name"),
            "Range-Unit"
        );
        assert_eq!(
            at(&d, "/components/parameters/preferReturn/schema/enum"),
            &json!(["return=representation", "return=minimal"])
        );
        assert_eq!(
            at(&d, "/components/parameters/preferCount/schema/enum"),
            &json!(["count=exact", "count=planned", "count=estimated"])
        );
        assert_eq!(at(&d, "/components/parameters/on_conflict/in"), "query");
        assert_eq!(
            at(&d, "/components/parameters/limit/schema/type"),
            "integer"
        );
    }

    #[test]
    fn openapi_row_schemas() {
        let d = doc();
        let p = "/components/schemas/agents/properties";
        assert_eq!(at(&d, &format!("{p}/name/maxLength")), 100);
        assert_eq!(at(&d, &format!("{p}/name/minLength")), 1);
        assert_eq!(at(&d, &format!("{p}/name/description")), "Display name.");
        assert_eq!(
            at(&d, &format!("{p}/framework/enum")),
            &json!(["openai", "anthropic", "google"])
        );
        assert_eq!(at(&d, &format!("{p}/framework/default")), "openai");
        assert_eq!(
            at(&d, &format!("{p}/status/enum")),
            &json!(["idle", "thinking", null])
        );
        assert_eq!(at(&d, &format!("{p}/status/nullable")), true);
        assert!(d.pointer(&format!("{p}/name/nullable")).is_none());
        assert_eq!(
            at(&d, &format!("{p}/id")),
            &json!({"type": "string", "format": "uuid",
                    "description": "Row id.\n\nNote:\nThis is a Primary Key.<pk/>"})
        );
        assert_eq!(
            at(&d, &format!("{p}/user_id/description")),
            "Note:\nThis is a Foreign Key to `users.id`.<fk table='users' column='id'/>"
        );
        assert_eq!(
            at(&d, &format!("{p}/runs")),
            &json!({"type": "integer", "format": "int64", "minimum": 0, "default": 0})
        );
        assert_eq!(
            at(&d, &format!("{p}/tags")),
            &json!({"type": "array", "items": {"type": "string"}})
        );
        assert_eq!(at(&d, &format!("{p}/created_at/format")), "date-time");

        let s = format!("{p}/settings");
        assert_eq!(at(&d, &format!("{s}/type")), "object");
        assert_eq!(at(&d, &format!("{s}/nullable")), true);
        // Object defaults are left out for the sake of SDK generators.
        assert!(d.pointer(&format!("{s}/default")).is_none());
        assert_eq!(at(&d, &format!("{s}/additionalProperties")), false);
        assert_eq!(at(&d, &format!("{s}/required")), &json!(["temperature"]));
        assert_eq!(
            at(&d, &format!("{s}/properties/temperature")),
            &json!({"type": "number", "minimum": 0.0, "maximum": 2.0,
                    "description": "Creativity."})
        );
        assert_eq!(at(&d, &format!("{s}/properties/max_tokens/minimum")), 1);
        assert_eq!(
            at(&d, &format!("{s}/properties/stop")),
            &json!({"type": "array", "items": {"type": "string"}, "nullable": true})
        );

        assert_eq!(
            at(&d, "/components/schemas/agents/required"),
            &json!(["id", "user_id", "name", "framework", "runs", "tags"])
        );
        assert_eq!(
            at(&d, "/components/schemas/agents_insert/required"),
            &json!(["user_id", "name", "tags"])
        );
        assert!(
            d.pointer("/components/schemas/agents_update/required")
                .is_none()
        );
        assert_eq!(
            at(
                &d,
                "/components/schemas/agents_update/properties/name/maxLength"
            ),
            100
        );
    }

    #[test]
    fn openapi_errors() {
        let d = doc();
        let e = at(&d, "/components/schemas/Error");
        assert_eq!(e["required"], json!(["code", "message"]));
        assert_eq!(e["properties"]["details"]["nullable"], true);
        assert_eq!(e["properties"]["hint"]["nullable"], true);
        for code in ["400", "401", "403", "404", "406", "409"] {
            assert_eq!(
                at(
                    &d,
                    &format!(
                        "/components/responses/Error{code}/content/application~1json/schema/$ref"
                    )
                ),
                "#/components/schemas/Error"
            );
        }
    }

    #[test]
    fn openapi_other_schemas_and_determinism() {
        let ir = sample();
        assert_eq!(emit_openapi(&ir, "public"), emit_openapi(&ir, "public"));
        let auth: Value = serde_json::from_str(&emit_openapi(&ir, "auth")).unwrap();
        assert_eq!(auth["paths"], json!({}));
        assert!(auth.pointer("/components/schemas/users").is_none());
        assert!(auth.pointer("/components/parameters/select").is_some());
    }
}
