//! Typed endpoints under `/api`, declared in the spec.
//!
//! A `crud` endpoint serves list, get, create, update and delete over one table, scoped to
//! the caller (an owner column) and, for nested collections such as
//! `/api/agents/{id}/tools`, to a parent row the caller can see. A `sql` endpoint calls a
//! function with the request's parameters. Each request is turned into the same
//! [`ApiRequest`] the PostgREST surface parses, so planning, validation, SQL and RLS are
//! shared; only the shape of inputs, outputs and errors differs. Errors are
//! `{"error": "<message>"}`, and a row the caller may not see is a 404, never a 403, so
//! that existence does not leak.

use crate::auth::AuthContext;
use crate::error::ApiError;
use crate::meta::{Catalog, Crud, Endpoint, EndpointKind, SealedObject};
use crate::rest::request::{
    Accept, Action, ApiRequest, Condition, Filter, Operand, Operator, Prefer, Return, SelectItem,
};
use crate::rest::{execute, plan, query};
use crate::secrets::{MASK, SealObjectError};
use crate::server::AppState;
use crate::validate::{self, Mode};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The routes of every typed endpoint of the catalog.
pub fn router(catalog: &'static Catalog) -> Router<AppState> {
    let mut router = Router::new();
    for ep in catalog.endpoints {
        match &ep.kind {
            EndpointKind::Crud(crud) => {
                let has = |op: &str| crud.operations.contains(&op);
                let mut collection: Option<MethodRouter<AppState>> = None;
                if has("list") {
                    collection = Some(get(move |s, p, h| list(s, ep, p, h)));
                }
                if has("create") {
                    let post = axum::routing::post(move |s, p, h, b| create(s, ep, p, h, b));
                    collection = Some(match collection {
                        Some(c) => c.merge(post),
                        None => post,
                    });
                }
                if let Some(c) = collection {
                    router = router.route(ep.path, c);
                }
                let item_path = format!("{}/{{{}}}", ep.path, crud.item_param);
                let mut item: Option<MethodRouter<AppState>> = None;
                for (op, route) in [
                    ("get", get(move |s, p, h| fetch(s, ep, p, h))),
                    (
                        "update",
                        axum::routing::patch(move |s, p, h, b| update(s, ep, p, h, b)),
                    ),
                    (
                        "replace",
                        axum::routing::put(move |s, p, h, b| update(s, ep, p, h, b)),
                    ),
                    (
                        "delete",
                        axum::routing::delete(move |s, p, h| remove(s, ep, p, h)),
                    ),
                ] {
                    if has(op) {
                        item = Some(match item {
                            Some(i) => i.merge(route),
                            None => route,
                        });
                    }
                }
                if let Some(i) = item {
                    router = router.route(&item_path, i);
                }
            }
            EndpointKind::Handler { method, .. } => {
                let route = if *method == "GET" {
                    get(move |s, q: RawQuery, h| handle(s, ep, q.0, h, Bytes::new()))
                } else {
                    axum::routing::post(move |s, h, b| handle(s, ep, None, h, b))
                };
                router = router.route(ep.path, route);
            }
            EndpointKind::Sql { method, .. } => {
                let route = if *method == "GET" {
                    get(move |s, p, q: RawQuery, h| call(s, ep, p, q.0, h, Bytes::new()))
                } else {
                    axum::routing::post(move |s, p, h, b| call(s, ep, p, None, h, b))
                };
                router = router.route(ep.path, route);
            }
        }
    }
    router
}

/// An error of the typed surface: `{"error": "<message>"}`.
#[derive(Debug)]
pub struct TypedError {
    status: StatusCode,
    message: String,
}

impl TypedError {
    fn new(status: StatusCode, message: impl Into<String>) -> TypedError {
        TypedError {
            status,
            message: message.into(),
        }
    }

    fn not_found(ep: &Endpoint) -> TypedError {
        TypedError::new(StatusCode::NOT_FOUND, ep.not_found)
    }
}

impl IntoResponse for TypedError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

/// Turns an error of the shared pipeline into the typed surface's shape. A single-row
/// request that matched nothing, or a row hidden by RLS, is the endpoint's 404.
fn typed(ep: &Endpoint, e: ApiError) -> TypedError {
    match e.code.as_str() {
        "PGRST116" => TypedError::not_found(ep),
        "VALIDATION_ERROR" => {
            let fields = e
                .details
                .as_deref()
                .and_then(Value::as_object)
                .map(|d| {
                    d.values()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            TypedError::new(StatusCode::BAD_REQUEST, fields)
        }
        "23505" => TypedError::new(
            StatusCode::CONFLICT,
            ep.conflict.unwrap_or("Already exists"),
        ),
        "23503" => TypedError::new(StatusCode::BAD_REQUEST, "A referenced row does not exist"),
        "22P02" => TypedError::not_found(ep),
        _ if e.status.is_server_error() => TypedError::new(
            e.status,
            "Internal server error; the cause is in the server log",
        ),
        _ => TypedError::new(e.status, e.message),
    }
}

type Params = Path<HashMap<String, String>>;

fn crud(ep: &'static Endpoint) -> &'static Crud {
    match &ep.kind {
        EndpointKind::Crud(c) => c,
        EndpointKind::Sql { .. } | EndpointKind::Handler { .. } => {
            unreachable!("only crud routes reach crud operations")
        }
    }
}

fn eq(column: &str, value: &str) -> Condition {
    Condition::Filter(Filter {
        column: column.to_string(),
        path: Vec::new(),
        negate: false,
        op: Operator::Eq,
        arg: None,
        value: Operand::Value(value.to_string()),
    })
}

/// The select list: every column, renamed where the spec renames it.
fn select(state: &AppState, crud: &Crud) -> Vec<SelectItem> {
    let Some(table) = state.catalog.table(crud.schema, crud.table) else {
        return Vec::new();
    };
    table
        .columns
        .iter()
        .filter(|c| !crud.hidden.contains(&c.name))
        .map(|c| SelectItem::Column {
            name: c.name.to_string(),
            path: Vec::new(),
            alias: crud
                .renames
                .iter()
                .find(|(_, col)| *col == c.name)
                .map(|(field, _)| field.to_string()),
            cast: None,
        })
        .collect()
}

/// A request against the endpoint's table with its scope (owner and parent) applied.
fn scoped(
    state: &AppState,
    ep: &'static Endpoint,
    auth: &AuthContext,
    params: &HashMap<String, String>,
    action: Action,
) -> ApiRequest {
    let crud = crud(ep);
    let mut filters = Vec::new();
    if let (Some(owner), Some(uid)) = (crud.owner, user_id(auth)) {
        filters.push((Vec::new(), eq(owner, &uid)));
    }
    if let Some(parent) = &crud.parent
        && let Some(value) = params.get(parent.param)
    {
        filters.push((Vec::new(), eq(parent.column, value)));
    }
    ApiRequest {
        profile: Some(crud.schema.to_string()),
        select: select(state, crud),
        filters,
        prefer: Prefer {
            return_: Return::Representation,
            ..Prefer::default()
        },
        ..ApiRequest::new(action, crud.table)
    }
}

/// The caller's user id; service_role acts for everyone, so it is not scoped.
fn user_id(auth: &AuthContext) -> Option<String> {
    if auth.role == "service_role" {
        return None;
    }
    Some(
        auth.claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or("00000000-0000-0000-0000-000000000000")
            .to_string(),
    )
}

/// Plans and runs one request as the caller; returns the JSON body Postgres built.
async fn run(state: &AppState, auth: &AuthContext, req: ApiRequest) -> Result<Value, ApiError> {
    let single = req.accept == Accept::Object;
    let plan = plan::plan(state.catalog, req)?;
    let command = match plan.kind {
        plan::PlanKind::Insert { .. } => "insert",
        plan::PlanKind::Update { .. } => "update",
        plan::PlanKind::Delete => "delete",
        _ => "select",
    };
    let stmt = query::build(&plan);
    let guard = |o: &execute::Outcome| crate::rest::response::check_single(&plan, o);
    let out = execute::execute(
        &state.pool,
        auth,
        plan.table(),
        command,
        &stmt,
        false,
        &guard,
    )
    .await?;
    let text = if single { out.first } else { out.body };
    Ok(serde_json::from_str(text.as_deref().unwrap_or("null")).unwrap_or(Value::Null))
}

/// Checks that the parent row of a nested collection exists and is the caller's.
async fn check_parent(
    state: &AppState,
    ep: &'static Endpoint,
    auth: &AuthContext,
    params: &HashMap<String, String>,
) -> Result<(), TypedError> {
    let Some(link) = &crud(ep).parent else {
        return Ok(());
    };
    let parent = state
        .catalog
        .endpoints
        .iter()
        .find(|e| e.path == link.endpoint)
        .ok_or_else(|| {
            TypedError::new(StatusCode::INTERNAL_SERVER_ERROR, "Parent endpoint missing")
        })?;
    let id = params.get(link.param).cloned().unwrap_or_default();
    let mut item = params.clone();
    item.insert(crud(parent).item_param.to_string(), id);
    get_row(state, parent, auth, &item).await.map(|_| ())
}

/// A scoped request for the one row the path's item parameter names.
fn item_request(
    state: &AppState,
    ep: &'static Endpoint,
    auth: &AuthContext,
    params: &HashMap<String, String>,
    action: Action,
) -> ApiRequest {
    let crud = crud(ep);
    let id = params.get(crud.item_param).cloned().unwrap_or_default();
    let mut req = scoped(state, ep, auth, params, action);
    req.filters.push((Vec::new(), eq(crud.key, &id)));
    req.accept = Accept::Object;
    req
}

/// The caller of a crud operation, once the parent row (if any) is known to be theirs.
async fn enter(
    state: &AppState,
    ep: &'static Endpoint,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<AuthContext, TypedError> {
    let auth = state.jwt.authenticate(headers).map_err(|e| typed(ep, e))?;
    check_parent(state, ep, &auth, params).await?;
    Ok(auth)
}

async fn get_row(
    state: &AppState,
    ep: &'static Endpoint,
    auth: &AuthContext,
    params: &HashMap<String, String>,
) -> Result<Value, TypedError> {
    let req = item_request(state, ep, auth, params, Action::Read { head: false });
    run(state, auth, req).await.map_err(|e| typed(ep, e))
}

/// The answer of a crud operation, its credentials masked.
fn reply_masked(
    state: &AppState,
    ep: &'static Endpoint,
    result: Result<Value, TypedError>,
    status: StatusCode,
) -> Response {
    reply(result.map(|b| mask_answer(state, crud(ep), b)), status)
}

/// The answer of an operation: its body with `status`, or the error.
fn reply(result: Result<Value, TypedError>, status: StatusCode) -> Response {
    match result {
        Ok(body) => ok(status, body),
        Err(e) => e.into_response(),
    }
}

fn ok(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn list(
    State(state): State<AppState>,
    ep: &'static Endpoint,
    Path(params): Params,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let auth = enter(&state, ep, &headers, &params).await?;
        let mut req = scoped(&state, ep, &auth, &params, Action::Read { head: false });
        let crud = crud(ep);
        if state
            .catalog
            .table(crud.schema, crud.table)
            .is_some_and(|t| t.column("created_at").is_some())
        {
            req.order.push((
                Vec::new(),
                vec![crate::rest::request::OrderTerm {
                    relation: None,
                    column: "created_at".into(),
                    path: Vec::new(),
                    descending: true,
                    nulls_first: None,
                }],
            ));
        }
        run(&state, &auth, req).await.map_err(|e| typed(ep, e))
    }
    .await;
    reply_masked(&state, ep, result, StatusCode::OK)
}

async fn fetch(
    State(state): State<AppState>,
    ep: &'static Endpoint,
    Path(params): Params,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let auth = enter(&state, ep, &headers, &params).await?;
        get_row(&state, ep, &auth, &params).await
    }
    .await;
    reply_masked(&state, ep, result, StatusCode::OK)
}

/// Runs the endpoint's named checks on the body fields they name.
fn run_checks(crud: &Crud, fields: &Map<String, Value>) -> Result<(), TypedError> {
    for (field, check) in crud.checks {
        let value = fields.get(*field).unwrap_or(&Value::Null);
        check_field(check, field, value, fields)
            .map_err(|m| TypedError::new(StatusCode::BAD_REQUEST, m))?;
    }
    Ok(())
}

fn is_http_url(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|u| (u.starts_with("http://") || u.starts_with("https://")) && u.len() > 8)
}

fn headers_ok(v: Option<&Value>) -> bool {
    match v {
        None => true,
        Some(Value::Object(h)) => h.values().all(Value::is_string),
        Some(_) => false,
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 64
}

/// A named check of one field; the error is the message for the client.
pub fn check_field(
    check: &str,
    field: &str,
    value: &Value,
    body: &Map<String, Value>,
) -> Result<(), String> {
    // Checks of a field that is not sent apply only where its absence matters.
    let kind = body.get("type").and_then(Value::as_str);
    match check {
        // A hook's configuration, by hook type (checked when the type is sent).
        "hook_config" => {
            let empty = Map::new();
            let config = match value {
                Value::Null => &empty,
                Value::Object(c) => c,
                _ => return Err(format!("{field} must be an object")),
            };
            match kind {
                Some("webhook") => {
                    if !is_http_url(config.get("url")) {
                        return Err(format!(
                            "{field}.url must be an http(s) URL for a webhook hook"
                        ));
                    }
                    if !headers_ok(config.get("headers")) {
                        return Err(format!("{field}.headers must be an object of strings"));
                    }
                }
                Some("approval") => {
                    if let Some(tools) = config.get("tools")
                        && !tools
                            .as_array()
                            .is_some_and(|t| t.iter().all(Value::is_string))
                    {
                        return Err(format!("{field}.tools must be a list of tool names"));
                    }
                }
                _ => {}
            }
            Ok(())
        }
        // A custom tool is an HTTP call: where, how, with which headers.
        "tool_config" => {
            let empty = Map::new();
            let config = match value {
                Value::Null => &empty,
                Value::Object(c) => c,
                _ => return Err(format!("{field} must be an object")),
            };
            if kind == Some("custom") {
                if !is_http_url(config.get("endpoint")) {
                    return Err(format!(
                        "{field}.endpoint must be an http(s) URL for a custom tool"
                    ));
                }
                if let Some(m) = config.get("method")
                    && !m
                        .as_str()
                        .is_some_and(|m| ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m))
                {
                    return Err(format!(
                        "{field}.method must be one of GET, POST, PUT, PATCH, DELETE"
                    ));
                }
                if !headers_ok(config.get("headers")) {
                    return Err(format!("{field}.headers must be an object of strings"));
                }
            }
            Ok(())
        }
        // A database tool's configuration: `{"schemas": {"<schema>": ["<table>", ...]}}`.
        "database_schemas" => {
            if value.is_null() {
                return Ok(());
            }
            let Some(obj) = value.as_object() else {
                return Err(format!("{field} must be an object"));
            };
            let Some(schemas) = obj.get("schemas") else {
                return Ok(());
            };
            let Some(schemas) = schemas.as_object() else {
                return Err(format!(
                    "{field}.schemas must be an object mapping schema names to lists of tables"
                ));
            };
            for (schema, tables) in schemas {
                if !is_identifier(schema) {
                    return Err(format!(
                        "{field}.schemas: '{schema}' is not a valid schema name"
                    ));
                }
                if crate::tools::is_system_schema(schema) {
                    return Err(format!(
                        "{field}.schemas: '{schema}' is a system schema and cannot be granted to a tool"
                    ));
                }
                let Some(list) = tables.as_array() else {
                    return Err(format!(
                        "{field}.schemas.{schema} must be a list of table names"
                    ));
                };
                if let Some(bad) = list.iter().find(|t| !t.as_str().is_some_and(is_identifier)) {
                    return Err(format!(
                        "{field}.schemas.{schema}: {bad} is not a valid table name"
                    ));
                }
            }
            Ok(())
        }
        other => Err(format!("{field}: unknown check `{other}`")),
    }
}

/// Takes the secret out of the body and seals it: the (column, value) pairs to store.
fn seal_secret(
    state: &AppState,
    crud: &Crud,
    fields: &mut Map<String, Value>,
) -> Result<Vec<(String, Value)>, TypedError> {
    let Some(seal) = &crud.seal else {
        return Ok(Vec::new());
    };
    let Some(value) = fields.remove(seal.field) else {
        return Ok(Vec::new());
    };
    let Some(secret) = value.as_str().filter(|s| !s.is_empty()) else {
        return Err(TypedError::new(
            StatusCode::BAD_REQUEST,
            format!("{} must be a non-empty string", seal.field),
        ));
    };
    let sealed = state
        .jwt
        .sealing_key()
        .seal(secret)
        .map_err(|e| TypedError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let mut out = vec![(seal.column.to_string(), Value::String(sealed))];
    if let Some(hint) = seal.hint {
        out.push((
            hint.to_string(),
            Value::String(crate::secrets::hint(secret)),
        ));
    }
    Ok(out)
}

/// The API field name of a column (its rename, or itself).
fn field_of<'a>(crud: &'a Crud, column: &'a str) -> &'a str {
    crud.renames
        .iter()
        .find(|(_, col)| *col == column)
        .map(|(field, _)| *field)
        .unwrap_or(column)
}

/// The value at `path` inside `value`, when each step is an object holding the key.
fn at_path<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_object()?.get(*key))
}

fn at_path_mut<'a>(value: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_object_mut()?.get_mut(*key))
}

/// How a sealed object is named in messages: its field, then the keys inside it.
fn sealed_name(crud: &Crud, sealed: &SealedObject) -> String {
    std::iter::once(field_of(crud, sealed.column))
        .chain(sealed.path.iter().copied())
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether a row about to be written (keyed by column) sends back a masked credential,
/// which only the stored row can resolve.
fn sends_masks(crud: &Crud, row: &Map<String, Value>) -> bool {
    crud.sealed_objects.iter().any(|sealed| {
        row.get(sealed.column)
            .and_then(|v| at_path(v, sealed.path))
            .and_then(Value::as_object)
            .is_some_and(|o| {
                o.values()
                    .any(|v| v.as_str().is_some_and(|s| s.starts_with(MASK)))
            })
    })
}

/// Seals the credentials of a row about to be written (keyed by column): every value of
/// each sealed object it sends. `stored` is the row as it is now (keyed by field), whose
/// sealed value a masked value sent back keeps.
fn seal_objects(
    state: &AppState,
    crud: &Crud,
    row: &mut Map<String, Value>,
    stored: Option<&Value>,
) -> Result<(), TypedError> {
    for sealed in crud.sealed_objects {
        let Some(target) = row
            .get_mut(sealed.column)
            .and_then(|v| at_path_mut(v, sealed.path))
        else {
            continue;
        };
        let name = sealed_name(crud, sealed);
        let Value::Object(sent) = &*target else {
            return Err(TypedError::new(
                StatusCode::BAD_REQUEST,
                format!("{name} must be an object of strings"),
            ));
        };
        let before = stored
            .and_then(|s| s.get(field_of(crud, sealed.column)))
            .and_then(|v| at_path(v, sealed.path))
            .and_then(Value::as_object);
        let out = state
            .jwt
            .sealing_key()
            .seal_object(sent, before)
            .map_err(|e| match e {
                SealObjectError::NotAString(key) => TypedError::new(
                    StatusCode::BAD_REQUEST,
                    format!("{name}.{key} must be a string"),
                ),
                SealObjectError::UnknownMask(key) => TypedError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "{name}.{key} is a masked value that matches no stored value; send the plain value"
                    ),
                ),
                SealObjectError::Sealing(e) => {
                    TypedError::new(StatusCode::INTERNAL_SERVER_ERROR, e)
                }
            })?;
        *target = Value::Object(out);
    }
    Ok(())
}

/// Masks the credentials of an answer (one row, or a list of rows; keyed by field).
fn mask_answer(state: &AppState, crud: &Crud, mut body: Value) -> Value {
    if crud.sealed_objects.is_empty() {
        return body;
    }
    let key = state.jwt.sealing_key();
    let rows: Vec<&mut Value> = match &mut body {
        Value::Array(rows) => rows.iter_mut().collect(),
        row => vec![row],
    };
    for row in rows {
        for sealed in crud.sealed_objects {
            if let Some(Value::Object(stored)) = row
                .get_mut(field_of(crud, sealed.column))
                .and_then(|v| at_path_mut(v, sealed.path))
            {
                *stored = key.mask_object(stored);
            }
        }
    }
    body
}

/// Maps body fields to columns, dropping the scope columns a client may not set.
fn to_columns(crud: &Crud, body: Map<String, Value>, keep_only: &[&str]) -> Map<String, Value> {
    body.into_iter()
        .filter(|(k, _)| keep_only.is_empty() || keep_only.contains(&k.as_str()))
        .map(|(k, v)| {
            let column = crud
                .renames
                .iter()
                .find(|(field, _)| *field == k)
                .map(|(_, col)| col.to_string())
                .unwrap_or(k);
            (column, v)
        })
        .filter(|(k, _)| !crud.hidden.contains(&k.as_str()))
        .filter(|(k, _)| {
            Some(k.as_str()) != crud.owner
                && Some(k.as_str()) != crud.parent.as_ref().map(|p| p.column)
        })
        .collect()
}

fn json_body(body: &[u8]) -> Result<Map<String, Value>, TypedError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(TypedError::new(
            StatusCode::BAD_REQUEST,
            "The body must be a JSON object",
        )),
        Err(e) => Err(TypedError::new(
            StatusCode::BAD_REQUEST,
            format!("The body is not valid JSON: {e}"),
        )),
    }
}

async fn create(
    State(state): State<AppState>,
    ep: &'static Endpoint,
    Path(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let auth = enter(&state, ep, &headers, &params).await?;
        let crud = crud(ep);
        let mut fields = json_body(&body)?;
        if let Some(lookup) = &crud.lookup {
            let name = match fields.remove(lookup.field) {
                Some(Value::String(s)) if !s.is_empty() => s,
                _ => {
                    return Err(TypedError::new(
                        StatusCode::BAD_REQUEST,
                        format!("{} is required", lookup.field),
                    ));
                }
            };
            let found = find_by(&state, &auth, lookup, &name)
                .await
                .map_err(|e| typed(ep, e))?;
            let Some(key) = found else {
                return Err(TypedError::new(
                    StatusCode::NOT_FOUND,
                    format!("No {} named '{name}'", lookup.table.trim_end_matches('s')),
                ));
            };
            fields.insert(lookup.sets.to_string(), key);
        }
        run_checks(crud, &fields)?;
        let sealed = seal_secret(&state, crud, &mut fields)?;
        let mut row = to_columns(crud, fields, &[]);
        row.extend(sealed);
        if let Some(link) = &crud.parent {
            row.insert(
                link.column.to_string(),
                Value::String(params.get(link.param).cloned().unwrap_or_default()),
            );
        }
        if let (Some(owner), Some(uid)) = (crud.owner, user_id(&auth)) {
            row.insert(owner.to_string(), Value::String(uid));
        }
        let table = state
            .catalog
            .table(crud.schema, crud.table)
            .ok_or_else(|| TypedError::new(StatusCode::INTERNAL_SERVER_ERROR, "Table missing"))?;
        validate::validate_rows(table, &[Value::Object(row.clone())], Mode::Create)
            .map_err(|e| typed(ep, e))?;
        seal_objects(&state, crud, &mut row, None)?;
        let mut req = scoped(&state, ep, &auth, &params, Action::Insert);
        req.filters.clear();
        req.body = Some(Value::Object(row));
        req.accept = Accept::Object;
        req.prefer.missing_default = true;
        run(&state, &auth, req).await.map_err(|e| typed(ep, e))
    }
    .await;
    reply_masked(&state, ep, result, StatusCode::CREATED)
}

/// Finds the key of the row of `lookup.table` whose `lookup.column` is `name`.
async fn find_by(
    state: &AppState,
    auth: &AuthContext,
    lookup: &crate::meta::Lookup,
    name: &str,
) -> Result<Option<Value>, ApiError> {
    let req = ApiRequest {
        select: vec![SelectItem::Column {
            name: lookup.key.to_string(),
            path: Vec::new(),
            alias: None,
            cast: None,
        }],
        filters: vec![(Vec::new(), eq(lookup.column, name))],
        profile: Some(lookup.schema.to_string()),
        prefer: Prefer::default(),
        ..ApiRequest::new(Action::Read { head: false }, lookup.table)
    };
    let rows = run(state, auth, req).await?;
    Ok(rows
        .as_array()
        .and_then(|r| r.first())
        .and_then(|r| r.get(lookup.key))
        .cloned())
}

async fn update(
    State(state): State<AppState>,
    ep: &'static Endpoint,
    Path(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let auth = enter(&state, ep, &headers, &params).await?;
        let crud = crud(ep);
        let mut fields = json_body(&body)?;
        run_checks(crud, &fields)?;
        let sealed = seal_secret(&state, crud, &mut fields)?;
        let mut row = to_columns(crud, fields, crud.update_fields);
        row.extend(sealed);
        // Keys the endpoint does not read change nothing: answer the row as it is.
        if row.is_empty() {
            return get_row(&state, ep, &auth, &params).await;
        }
        if let Some(table) = state.catalog.table(crud.schema, crud.table) {
            validate::validate_rows(table, &[Value::Object(row.clone())], Mode::Change)
                .map_err(|e| typed(ep, e))?;
        }
        // A masked credential sent back keeps the stored one, which only the row has.
        let stored = if sends_masks(crud, &row) {
            Some(get_row(&state, ep, &auth, &params).await?)
        } else {
            None
        };
        seal_objects(&state, crud, &mut row, stored.as_ref())?;
        let mut req = item_request(&state, ep, &auth, &params, Action::Update);
        req.body = Some(Value::Object(row));
        run(&state, &auth, req).await.map_err(|e| typed(ep, e))
    }
    .await;
    reply_masked(&state, ep, result, StatusCode::OK)
}

async fn remove(
    State(state): State<AppState>,
    ep: &'static Endpoint,
    Path(params): Params,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let auth = enter(&state, ep, &headers, &params).await?;
        let req = item_request(&state, ep, &auth, &params, Action::Delete);
        run(&state, &auth, req).await.map_err(|e| typed(ep, e))
    }
    .await;
    match result {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn call(
    State(state): State<AppState>,
    ep: &'static Endpoint,
    Path(params): Params,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let EndpointKind::Sql {
        schema, function, ..
    } = &ep.kind
    else {
        return TypedError::new(StatusCode::INTERNAL_SERVER_ERROR, "not a sql endpoint")
            .into_response();
    };
    let result = async {
        let auth = state.jwt.authenticate(&headers).map_err(|e| typed(ep, e))?;
        // Arguments: path parameters, then the query string (GET) or the JSON body (POST).
        let mut args = json_body(&body)?;
        for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
            args.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        for (k, v) in params {
            args.insert(k, Value::String(v));
        }
        let req = ApiRequest {
            rpc: true,
            profile: Some(schema.to_string()),
            body: Some(Value::Object(args)),
            ..ApiRequest::new(Action::Insert, function)
        };
        let plan = plan::plan(state.catalog, req).map_err(|e| typed(ep, e))?;
        let stmt = query::build(&plan);
        let out = execute::execute(
            &state.pool,
            &auth,
            plan.table(),
            "execute",
            &stmt,
            false,
            &|_| Ok(()),
        )
        .await
        .map_err(|e| typed(ep, e))?;
        let text = match state.catalog.function(schema, function).map(|f| &f.returns) {
            Some(crate::meta::Returns::Row(_)) => out.first,
            _ => out.body,
        };
        Ok::<Value, TypedError>(
            serde_json::from_str(text.as_deref().unwrap_or("null")).unwrap_or(Value::Null),
        )
    }
    .await;
    reply(result, StatusCode::OK)
}

/// What a handler gets: the state, the verified caller and the checked request body.
pub struct HandlerInput {
    /// Shared state.
    pub state: AppState,
    /// The caller.
    pub auth: AuthContext,
    /// The request body (for GET, the query parameters as an object of strings).
    pub body: Value,
}

/// Runs the named handler of the runtime. The spec can only name handlers listed in
/// codegen's `ir::HANDLERS`, so an unknown name cannot reach this.
async fn dispatch(name: &str, input: HandlerInput) -> Result<Value, TypedError> {
    match name {
        "whoami" => Ok(whoami(&input)),
        other => Err(TypedError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("handler `{other}` is not part of this runtime"),
        )),
    }
}

/// `whoami`: the caller as the server sees it.
fn whoami(input: &HandlerInput) -> Value {
    let claims = &input.auth.claims;
    json!({
        "role": input.auth.role,
        "user_id": claims.get("sub").cloned().unwrap_or(Value::Null),
        "email": claims.get("email").cloned().unwrap_or(Value::Null),
        "greeting": input.body.get("greeting").cloned().unwrap_or(Value::Null),
    })
}

async fn handle(
    State(state): State<AppState>,
    ep: &'static Endpoint,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let EndpointKind::Handler { name, request, .. } = &ep.kind else {
        return TypedError::new(StatusCode::INTERNAL_SERVER_ERROR, "not a handler endpoint")
            .into_response();
    };
    let result = async {
        let auth = state.jwt.authenticate(&headers).map_err(|e| typed(ep, e))?;
        let mut fields = json_body(&body)?;
        for (k, v) in form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes()) {
            fields.insert(k.into_owned(), Value::String(v.into_owned()));
        }
        let body = Value::Object(fields);
        validate::validate_body(request, &body).map_err(|e| typed(ep, e))?;
        dispatch(
            name,
            HandlerInput {
                state: state.clone(),
                auth,
                body,
            },
        )
        .await
    }
    .await;
    reply(result, StatusCode::OK)
}
