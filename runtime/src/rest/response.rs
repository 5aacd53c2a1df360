//! The `respond` stage: status, `Content-Range`, `Preference-Applied` and the body
//! Postgres built.

use super::execute::Outcome;
use super::plan::{Plan, PlanKind};
use crate::error::ApiError;
use crate::meta::Returns;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// Checks a single-object request got exactly one row (PostgREST's PGRST116).
pub fn check_single(plan: &Plan, outcome: &Outcome) -> Result<(), ApiError> {
    if plan.single
        && (plan.return_rows || matches!(plan.kind, PlanKind::Read { .. }))
        && outcome.page_total != 1
    {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "PGRST116",
            "JSON object requested, multiple (or no) rows returned",
        )
        .details(format!("The result contains {} rows", outcome.page_total)));
    }
    Ok(())
}

/// Checks the requested range starts inside the result (416 otherwise).
pub fn check_range(plan: &Plan, outcome: &Outcome) -> Result<(), ApiError> {
    if let Some(total) = outcome.total
        && plan.root.offset > 0
        && plan.root.offset as i64 >= total
    {
        return Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "PGRST103",
            "Requested range not satisfiable",
        )
        .details(format!(
            "An offset of {} was requested, but there are only {total} rows.",
            plan.root.offset
        )));
    }
    Ok(())
}

/// Refuses a write that touched more rows than `max-affected` allows (PGRST124).
pub fn check_max_affected(plan: &Plan, outcome: &Outcome) -> Result<(), ApiError> {
    if let Some(max) = plan.max_affected
        && matches!(plan.kind, PlanKind::Update { .. } | PlanKind::Delete)
        && outcome.page_total as u64 > max
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "PGRST124",
            "Query result exceeds max-affected preference constraint",
        )
        .details(format!("The query affects {} rows", outcome.page_total)));
    }
    Ok(())
}

/// `Location` of a single inserted row: its primary key as `eq` filters.
fn location(plan: &Plan, outcome: &Outcome) -> Option<String> {
    let table = plan.table();
    if outcome.page_total != 1 || table.primary_key.is_empty() {
        return None;
    }
    let row: serde_json::Value = serde_json::from_str(outcome.first.as_deref()?).ok()?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    for key in table.primary_key {
        let value = match row.get(*key)? {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => return None,
            other => other.to_string(),
        };
        query.append_pair(key, &format!("eq.{value}"));
    }
    Some(format!("/{}?{}", table.name, query.finish()))
}

/// Builds the response.
pub fn respond(plan: &Plan, outcome: Outcome, applied: &[String]) -> Response {
    let n = outcome.page_total;
    let range = if n > 0 && matches!(plan.kind, PlanKind::Read { .. } | PlanKind::Call { .. }) {
        format!("{}-{}", plan.root.offset, plan.root.offset as i64 + n - 1)
    } else if n > 0 && plan.return_rows {
        format!("0-{}", n - 1)
    } else {
        "*".to_string()
    };
    let total = outcome.total.map_or("*".to_string(), |t| t.to_string());
    let content_range = format!("{range}/{total}");
    let mut extra: Vec<(&str, String)> = Vec::new();
    let (status, body) = match &plan.kind {
        PlanKind::Read { head } => {
            let partial = outcome
                .total
                .is_some_and(|t| n < t && (plan.root.limit.is_some() || plan.root.offset > 0));
            let status = if partial {
                StatusCode::PARTIAL_CONTENT
            } else {
                StatusCode::OK
            };
            let body = if *head {
                None
            } else {
                pick_body(plan, outcome)
            };
            (status, body)
        }
        PlanKind::Insert { .. } => {
            if let Some(loc) = location(plan, &outcome) {
                extra.push(("location", loc));
            }
            let status = match (plan.put, plan.return_rows && !plan.headers_only) {
                (false, _) => StatusCode::CREATED,
                (true, true) => StatusCode::OK,
                (true, false) => StatusCode::NO_CONTENT,
            };
            (status, pick_body(plan, outcome))
        }
        PlanKind::Update { .. } | PlanKind::Delete => {
            if plan.return_rows && !plan.headers_only {
                (StatusCode::OK, pick_body(plan, outcome))
            } else {
                (StatusCode::NO_CONTENT, None)
            }
        }
        PlanKind::Call { function, .. } => match function.returns {
            Returns::Void => (StatusCode::NO_CONTENT, None),
            // A single value is the JSON value itself, not an array.
            Returns::Scalar(_) => (StatusCode::OK, outcome.body),
            Returns::Row(_) => (
                StatusCode::OK,
                Some(outcome.first.unwrap_or_else(|| "null".into())),
            ),
            Returns::SetOf(_) => {
                let partial = outcome
                    .total
                    .is_some_and(|t| n < t && (plan.root.limit.is_some() || plan.root.offset > 0));
                let status = if partial {
                    StatusCode::PARTIAL_CONTENT
                } else {
                    StatusCode::OK
                };
                (status, pick_body(plan, outcome))
            }
        },
    };
    let mut builder = Response::builder()
        .status(status)
        .header("content-range", content_range);
    let body = if plan.head { None } else { body };
    let body = match body {
        Some(json) if plan.csv => match to_csv(&json) {
            Ok(csv) => Some(csv),
            Err(e) => return e.into_response_body(),
        },
        other => other,
    };
    let has_body = body.is_some();
    if has_body || plan.head {
        let ct = if plan.csv {
            "text/csv; charset=utf-8"
        } else if plan.single {
            "application/vnd.pgrst.object+json; charset=utf-8"
        } else {
            "application/json; charset=utf-8"
        };
        builder = builder.header(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(&value) {
            builder = builder.header(name, v);
        }
    }
    if !applied.is_empty()
        && let Ok(v) = HeaderValue::from_str(&applied.join(", "))
    {
        builder = builder.header("preference-applied", v);
    }
    builder
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .unwrap_or_else(|e| ApiError::internal(e).into_response_body())
}

/// Turns the JSON array Postgres built into CSV: a header from the first row's keys, then
/// one line per row; nested JSON is written as its JSON text, null as an empty field.
fn to_csv(json: &str) -> Result<String, ApiError> {
    let rows: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(json).map_err(ApiError::internal)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    if let Some(first) = rows.first() {
        out.write_record(first.keys()).map_err(ApiError::internal)?;
    }
    for row in &rows {
        let fields = row.values().map(|v| match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        out.write_record(fields).map_err(ApiError::internal)?;
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

fn pick_body(plan: &Plan, outcome: Outcome) -> Option<String> {
    if !plan.return_rows || plan.headers_only {
        return None;
    }
    if plan.single {
        outcome.first
    } else {
        Some(outcome.body.unwrap_or_else(|| "[]".into()))
    }
}

impl ApiError {
    fn into_response_body(self) -> Response {
        axum::response::IntoResponse::into_response(self)
    }
}
