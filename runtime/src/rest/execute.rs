//! The `execute` stage: one transaction per request.
//!
//! The transaction switches to the caller's role, exposes the JWT claims to SQL as
//! `request.jwt.claims` (which `auth.uid()`, `auth.role()` and `auth.jwt()` read) and runs
//! the one statement. Row Level Security does the rest. This is the only stage that
//! touches the pool.

use super::query::{Bind, Statement};
use crate::auth::AuthContext;
use crate::error::ApiError;
use crate::meta::Table;
use axum::http::StatusCode;
use sqlx::postgres::{PgArguments, PgDatabaseError};
use sqlx::{Arguments, PgPool, Row};

/// What the statement produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Total rows matching, when counted.
    pub total: Option<i64>,
    /// Rows in this response (or affected, for bare writes).
    pub page_total: i64,
    /// JSON array of the rows.
    pub body: Option<String>,
    /// JSON of the first row.
    pub first: Option<String>,
}

/// Decides, before commit, whether the outcome may stand; an error rolls back.
pub type Guard<'a> = &'a (dyn Fn(&Outcome) -> Result<(), ApiError> + Sync);

/// Runs one statement as the caller.
pub async fn execute(
    pool: &PgPool,
    auth: &AuthContext,
    table: &'static Table,
    command: &'static str,
    stmt: &Statement,
    rollback: bool,
    guard: Guard<'_>,
) -> Result<Outcome, ApiError> {
    let ctx = ErrorContext {
        auth,
        table,
        command,
    };
    let mut tx = begin(pool, &ctx).await?;
    let outcome = run(&mut tx, stmt, &ctx).await?;
    guard(&outcome)?;
    finish(tx, rollback, &ctx).await?;
    Ok(outcome)
}

/// What a database error is explained with.
pub struct ErrorContext<'a> {
    /// The caller.
    pub auth: &'a AuthContext,
    /// The table addressed.
    pub table: &'static Table,
    /// The command, for RLS explanations.
    pub command: &'static str,
}

impl ErrorContext<'_> {
    fn map(&self, e: sqlx::Error) -> ApiError {
        map_db_error(e, self.auth, self.table, self.command)
    }
}

/// Opens the request's transaction as the caller's role, with its claims.
pub async fn begin(
    pool: &PgPool,
    ctx: &ErrorContext<'_>,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, ApiError> {
    let mut tx = pool.begin().await.map_err(|e| ctx.map(e))?;
    sqlx::query("select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)")
        .bind(ctx.auth.role)
        .bind(ctx.auth.claims.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| ctx.map(e))?;
    Ok(tx)
}

/// Commits, or rolls back when asked to (`Prefer: tx=rollback`).
pub async fn finish(
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    rollback: bool,
    ctx: &ErrorContext<'_>,
) -> Result<(), ApiError> {
    if rollback {
        tx.rollback().await.map_err(|e| ctx.map(e))
    } else {
        tx.commit().await.map_err(|e| ctx.map(e))
    }
}

/// Runs one statement inside the request's transaction.
pub async fn run(
    tx: &mut sqlx::PgConnection,
    stmt: &Statement,
    ctx: &ErrorContext<'_>,
) -> Result<Outcome, ApiError> {
    let db_err = |e: sqlx::Error| ctx.map(e);
    let args = arguments(&stmt.binds)?;
    let query = sqlx::query_with(&stmt.sql, args);
    if stmt.returns_summary {
        let row = query.fetch_one(&mut *tx).await.map_err(db_err)?;
        let mut total: Option<i64> = row.try_get("total").map_err(ApiError::internal)?;
        if let Some((sql, binds)) = &stmt.explain {
            // Planned counts always come from the planner; estimated ones only when the
            // capped exact count reached its cap.
            if total.is_none_or(|t| t > super::query::ESTIMATE_THRESHOLD) {
                let plan_args = arguments(binds)?;
                let explained: serde_json::Value =
                    sqlx::query_scalar_with(&format!("explain (format json) {sql}"), plan_args)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                total = explained
                    .pointer("/0/Plan/Plan Rows")
                    .and_then(serde_json::Value::as_f64)
                    .map(|rows| rows as i64);
            }
        }
        Ok(Outcome {
            total,
            page_total: row.try_get("page_total").map_err(ApiError::internal)?,
            body: row.try_get("body").map_err(ApiError::internal)?,
            first: row.try_get("first").map_err(ApiError::internal)?,
        })
    } else {
        let done = query.execute(&mut *tx).await.map_err(db_err)?;
        Ok(Outcome {
            page_total: done.rows_affected() as i64,
            ..Outcome::default()
        })
    }
}

/// Runs a query returning one text column per row, inside the request's transaction.
pub async fn texts(
    tx: &mut sqlx::PgConnection,
    sql: &str,
    binds: &[Bind],
    ctx: &ErrorContext<'_>,
) -> Result<Vec<String>, ApiError> {
    let args = arguments(binds)?;
    sqlx::query_scalar_with(sql, args)
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| ctx.map(e))
}

fn arguments(binds: &[Bind]) -> Result<PgArguments, ApiError> {
    let mut args = PgArguments::default();
    for b in binds {
        let added = match b {
            Bind::Text(s) => args.add(s.as_str()),
            Bind::TextArray(v) => args.add(v.clone()),
            Bind::Json(s) => args.add(s.as_str()),
            Bind::Int(i) => args.add(*i),
        };
        added.map_err(|e| ApiError::internal(format!("binding a parameter: {e}")))?;
    }
    Ok(args)
}

/// Maps a database error to PostgREST's status for its SQLSTATE.
pub fn map_db_error(e: sqlx::Error, auth: &AuthContext, table: &Table, command: &str) -> ApiError {
    let db = match &e {
        sqlx::Error::Database(db) => db,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            tracing::error!(error = %e, "database unavailable");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "PGRST000",
                "Could not connect to the database",
            );
        }
        _ => return ApiError::internal(e),
    };
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let pg = db.try_downcast_ref::<PgDatabaseError>();
    let detail = pg.and_then(|p| p.detail()).map(str::to_string);
    let hint = pg.and_then(|p| p.hint()).map(str::to_string);
    let message = db.message().to_string();
    let status = match code.as_str() {
        "23505" | "23503" | "40001" | "40P01" => StatusCode::CONFLICT,
        "42501" => {
            if auth.role == "anon" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FORBIDDEN
            }
        }
        "42P01" | "42883" => StatusCode::NOT_FOUND,
        "25006" => StatusCode::METHOD_NOT_ALLOWED,
        // A write through a view Postgres cannot update (a join, an aggregate, ...).
        "55000" if table.view => StatusCode::METHOD_NOT_ALLOWED,
        "57014" => StatusCode::INTERNAL_SERVER_ERROR,
        c if c.starts_with("08") || c.starts_with("53") => StatusCode::SERVICE_UNAVAILABLE,
        c if c.starts_with("23")
            || c.starts_with("22")
            || c.starts_with("42")
            || c == "P0001"
            || c == "21000" =>
        {
            StatusCode::BAD_REQUEST
        }
        _ => {
            tracing::error!(error = %e, code, "unexpected database error");
            return ApiError::internal(e);
        }
    };
    let mut err = ApiError {
        status,
        code: code.clone(),
        message,
        details: detail.map(|d| Box::new(serde_json::Value::String(d))),
        hint,
    };
    if code == "42501" {
        err = explain_denial(err, auth, table, command);
    }
    err
}

/// Postgres says only "permission denied" or "violates row-level security policy"; the
/// spec knows which table, command and policies were involved, so say that.
fn explain_denial(mut err: ApiError, auth: &AuthContext, table: &Table, command: &str) -> ApiError {
    let applying: Vec<String> = table
        .policies
        .iter()
        .filter(|p| p.command == command || p.command == "all")
        .filter(|p| {
            p.roles.is_empty() || p.roles.contains(&auth.role) || p.roles.contains(&"public")
        })
        .map(|p| format!("\"{}\"", p.name))
        .collect();
    let rls = err.message.contains("row-level security");
    let details = if rls {
        if applying.is_empty() {
            format!(
                "Row Level Security on {}.{} has no {command} policy for role {}, so every row is refused",
                table.schema, table.name, auth.role
            )
        } else {
            format!(
                "Role {} may {command} on {}.{} only rows allowed by the spec's policies: {}",
                auth.role,
                table.schema,
                table.name,
                applying.join(", ")
            )
        }
    } else {
        format!(
            "Role {} has no {command} privilege on {}.{}; the spec's grants decide this",
            auth.role, table.schema, table.name
        )
    };
    err.details = Some(Box::new(serde_json::Value::String(details)));
    if err.hint.is_none() && auth.role == "anon" {
        err.hint = Some(
            "Sign in and send the user's access token as `Authorization: Bearer <JWT>`".into(),
        );
    }
    err
}
