//! The PostgREST-compatible surface at `/rest/v1`.
//!
//! One request passes the stages once, in order: `auth` (in [`crate::auth`]) → `request`
//! (parse, no database) → `plan` (checked against the generated catalog) → `query` (one
//! parameterized statement) → `execute` (one transaction as the caller's role) →
//! `response`. Each stage has its own module and error codes.

pub mod execute;
pub mod nested;
pub mod plan;
pub mod query;
pub mod request;
pub mod response;

use crate::error::ApiError;
use crate::server::AppState;
use crate::validate::{self, Mode};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use plan::PlanKind;
use std::time::Instant;

/// `GET /rest/v1/`: the OpenAPI document of the schema chosen by `Accept-Profile`.
pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let profile = headers.get("accept-profile").and_then(|v| v.to_str().ok());
    let result = state
        .jwt
        .authenticate(&headers)
        .and_then(|_| plan::resolve_schema(state.catalog, profile));
    match result {
        Ok(schema) => match state.catalog.openapi_for(schema) {
            Some(doc) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/openapi+json; charset=utf-8"),
                )],
                doc,
            )
                .into_response(),
            None => ApiError::new(
                StatusCode::NOT_FOUND,
                "PGRST106",
                "No OpenAPI document for this schema",
            )
            .into_response(),
        },
        Err(e) => e.into_response(),
    }
}

/// `/rest/v1/rpc/{function}`: GET (stable and immutable functions) and POST.
pub async fn rpc(
    State(state): State<AppState>,
    Path(function): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&state, &headers, || {
        request::parse_rpc(&method, &function, uri.query(), &headers, &body)
    })
    .await
}

/// `/rest/v1/{table}` for every method.
pub async fn table(
    State(state): State<AppState>,
    Path(table): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(&state, &headers, || {
        request::parse(&method, &table, uri.query(), &headers, &body)
    })
    .await
}

/// The stages every `/rest/v1` request passes, timed.
async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    parse: impl FnOnce() -> Result<request::ApiRequest, ApiError>,
) -> Response {
    let started = Instant::now();
    let result = async {
        let mut t = Timings::start();
        let auth = state.jwt.authenticate(headers)?;
        t.mark("auth");
        let req = parse()?;
        t.mark("request");
        run(state, auth, req, t).await
    }
    .await;
    finish(result, started)
}

/// Time spent in each stage of one request, reported in `Server-Timing`.
struct Timings {
    marks: Vec<(&'static str, f64)>,
    last: Option<Instant>,
}

impl Timings {
    fn start() -> Timings {
        Timings {
            marks: Vec::new(),
            last: Some(Instant::now()),
        }
    }

    /// Records the time since the previous mark under `stage`.
    fn mark(&mut self, stage: &'static str) {
        let now = Instant::now();
        if let Some(last) = self.last {
            self.marks
                .push((stage, (now - last).as_secs_f64() * 1000.0));
        }
        self.last = Some(now);
    }
}

fn finish(result: Result<Response, ApiError>, started: Instant) -> Response {
    match result {
        Ok(mut resp) => {
            server_timing(&mut resp, started);
            resp
        }
        Err(e) => {
            tracing::debug!(status = %e.status, code = %e.code, message = %e.message, "request refused");
            e.into_response()
        }
    }
}

async fn run(
    state: &AppState,
    auth: crate::auth::AuthContext,
    req: request::ApiRequest,
    mut t: Timings,
) -> Result<Response, ApiError> {
    let rollback = req.prefer.rollback;
    let applied = req.prefer.applied.clone();
    let plan = plan::plan(state.catalog, req)?;
    t.mark("plan");
    let command = match &plan.kind {
        PlanKind::Read { .. } => "select",
        PlanKind::Insert { rows, .. } => {
            validate::validate_rows(
                plan.table(),
                rows.as_array().map_or(&[][..], |r| r),
                Mode::Create,
            )?;
            "insert"
        }
        PlanKind::Update { values, .. } => {
            validate::validate_rows(plan.table(), std::slice::from_ref(values), Mode::Change)?;
            "update"
        }
        PlanKind::Delete => "delete",
        PlanKind::Call { .. } => "execute",
    };
    if let PlanKind::Update { columns, .. } = &plan.kind
        && columns.is_empty()
    {
        // Nothing to change: answer as an update that matched nothing, without a round trip.
        return Ok(response::respond(
            &plan,
            execute::Outcome::default(),
            &applied,
        ));
    }
    if let PlanKind::Insert { nested, .. } = &plan.kind
        && !nested.is_empty()
    {
        let (plan, outcome) = nested::run(&state.pool, &auth, plan, rollback).await?;
        return Ok(response::respond(&plan, outcome, &applied));
    }
    let stmt = query::build(&plan);
    t.mark("query");
    tracing::debug!(sql = %stmt.sql, "statement");
    let guard = |o: &execute::Outcome| {
        response::check_single(&plan, o)?;
        response::check_max_affected(&plan, o)?;
        response::check_range(&plan, o)
    };
    let outcome = execute::execute(
        &state.pool,
        &auth,
        plan.table(),
        command,
        &stmt,
        rollback,
        &guard,
    )
    .await?;
    t.mark("execute");
    let mut resp = response::respond(&plan, outcome, &applied);
    t.mark("response");
    stage_timings(&mut resp, &t);
    Ok(resp)
}

/// Adds each stage's time to `Server-Timing`; [`finish`] appends the total.
fn stage_timings(resp: &mut Response, t: &Timings) {
    let stages = t
        .marks
        .iter()
        .map(|(name, ms)| format!("{name};dur={ms:.2}"))
        .collect::<Vec<_>>()
        .join(", ");
    tracing::debug!(timings = %stages, "stages");
    if let Ok(v) = HeaderValue::from_str(&stages) {
        resp.headers_mut().insert("server-timing", v);
    }
}

fn server_timing(resp: &mut Response, started: Instant) {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let value = match resp
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
    {
        Some(stages) => format!("{stages}, total;dur={ms:.2}"),
        None => format!("total;dur={ms:.2}"),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        resp.headers_mut().insert("server-timing", v);
    }
}
