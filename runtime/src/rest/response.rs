//! The `respond` stage: status, `Content-Range`, `Preference-Applied` and the body
//! Postgres built.

use super::execute::Outcome;
use super::plan::{Plan, PlanKind};
use crate::error::ApiError;
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
        && plan.offset > 0
        && plan.offset as i64 >= total
    {
        return Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "PGRST103",
            "Requested range not satisfiable",
        )
        .details(format!(
            "An offset of {} was requested, but there are only {total} rows.",
            plan.offset
        )));
    }
    Ok(())
}

/// Builds the response.
pub fn respond(plan: &Plan, outcome: Outcome, applied: &[String]) -> Response {
    let n = outcome.page_total;
    let range = if n > 0 && matches!(plan.kind, PlanKind::Read { .. }) {
        format!("{}-{}", plan.offset, plan.offset as i64 + n - 1)
    } else if n > 0 && plan.return_rows {
        format!("0-{}", n - 1)
    } else {
        "*".to_string()
    };
    let total = outcome.total.map_or("*".to_string(), |t| t.to_string());
    let content_range = format!("{range}/{total}");
    let (status, body) = match &plan.kind {
        PlanKind::Read { head } => {
            let partial = outcome
                .total
                .is_some_and(|t| n < t && (plan.limit.is_some() || plan.offset > 0));
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
        PlanKind::Insert { .. } => (StatusCode::CREATED, pick_body(plan, outcome)),
        PlanKind::Update { .. } | PlanKind::Delete => {
            if plan.return_rows {
                (StatusCode::OK, pick_body(plan, outcome))
            } else {
                (StatusCode::NO_CONTENT, None)
            }
        }
    };
    let mut builder = Response::builder()
        .status(status)
        .header("content-range", content_range);
    let has_body = body.is_some();
    if has_body || matches!(plan.kind, PlanKind::Read { head: true }) {
        let ct = if plan.single {
            "application/vnd.pgrst.object+json; charset=utf-8"
        } else {
            "application/json; charset=utf-8"
        };
        builder = builder.header(header::CONTENT_TYPE, HeaderValue::from_static(ct));
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

fn pick_body(plan: &Plan, outcome: Outcome) -> Option<String> {
    if !plan.return_rows {
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
