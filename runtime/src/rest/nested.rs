//! Nested inserts: one POST creates parent rows and their to-many children, atomically.
//!
//! `{"name": "x", "agent_tools": [{"tool_id": ..}]}` on `/agents` inserts the agent, then
//! its assignments with `agent_id` set to the new agent's key, then reads the agents back
//! with the requested `select` (embedding included), all in one transaction as the caller.
//! Parent keys missing from the body are drawn from the key column's default first, so
//! every child knows its parent before anything is written.

use super::execute::{self, ErrorContext, Outcome};
use super::plan::{self, Cond, Node, Plan, PlanKind};
use super::query::{self, Bind};
use super::request::{Operand, Operator};
use crate::auth::AuthContext;
use crate::error::ApiError;
use crate::validate::{self, Mode};
use axum::http::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

/// Runs a plan whose insert carries nested children; returns the plan to respond with and
/// the outcome.
pub async fn run(
    pool: &PgPool,
    auth: &AuthContext,
    plan: Plan,
    rollback: bool,
) -> Result<(Plan, Outcome), ApiError> {
    let table = plan.table();
    let flags = Flags {
        return_rows: plan.return_rows,
        single: plan.single,
        headers_only: plan.headers_only,
        csv: plan.csv,
        strip_nulls: plan.strip_nulls,
    };
    let PlanKind::Insert {
        mut columns,
        rows,
        missing_default,
        upsert,
        nested,
    } = plan.kind
    else {
        return Err(ApiError::internal("nested::run called without an insert"));
    };
    if upsert.is_some() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "PGRST100",
            "Nested inserts cannot be combined with an upsert (Prefer: resolution=...)",
        ));
    }
    let pk = table
        .primary_key
        .first()
        .and_then(|k| table.column(k))
        .ok_or_else(|| ApiError::internal("nested insert without a primary key"))?;
    let ctx = ErrorContext {
        auth,
        table,
        command: "insert",
    };
    let mut tx = execute::begin(pool, &ctx).await?;

    // Give every parent its key before anything is written.
    let mut rows = match rows {
        Value::Array(rows) => rows,
        _ => Vec::new(),
    };
    let missing: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.get(pk.name).is_none_or(Value::is_null))
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        let default = pk.default_sql.ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                "Invalid request body",
            )
            .details(serde_json::json!({ pk.name: format!("{} is required for a nested insert", pk.name) }))
        })?;
        // The default comes from the spec, so it is trusted SQL; the count is bound.
        let keys = execute::texts(
            &mut tx,
            &format!("select ({default})::text from generate_series(1, $1::int8)"),
            &[Bind::Int(missing.len() as i64)],
            &ctx,
        )
        .await?;
        for (i, key) in missing.into_iter().zip(keys) {
            if let Some(obj) = rows[i].as_object_mut() {
                obj.insert(pk.name.to_string(), Value::String(key));
            }
        }
        if !columns.iter().any(|c| c.name == pk.name) {
            columns = table
                .columns
                .iter()
                .filter(|c| c.name == pk.name || columns.iter().any(|x| x.name == c.name))
                .collect();
        }
    }
    let keys: Vec<Value> = rows.iter().map(|r| r[pk.name].clone()).collect();
    let parents = rows.len();
    let parent_plan = write_plan(table, columns, rows, missing_default);
    execute::run(&mut tx, &query::build(&parent_plan), &ctx).await?;

    for n in nested {
        let fk_column = n.fk.columns[0];
        let child_rows: Vec<Value> = n
            .rows
            .into_iter()
            .map(|(parent, mut row)| {
                if let Some(obj) = row.as_object_mut() {
                    obj.insert(fk_column.to_string(), keys[parent].clone());
                }
                row
            })
            .collect();
        validate::validate_rows(n.table, &child_rows, Mode::Create).map_err(|mut e| {
            // Name the child fields by their place in the body.
            if let Some(details) = e.details.take() {
                e.details = Some(Box::new(serde_json::json!({ n.key.clone(): *details })));
            }
            e
        })?;
        let child_columns = plan::write_columns(n.table, None, &child_rows)?;
        let child_plan = write_plan(n.table, child_columns, child_rows, missing_default);
        let child_ctx = ErrorContext {
            auth,
            table: n.table,
            command: "insert",
        };
        execute::run(&mut tx, &query::build(&child_plan), &child_ctx).await?;
    }

    // Read the parents back with the requested select, children included.
    let mut root = plan.root;
    root.filters = vec![Cond::Compare {
        column: pk,
        path: Vec::new(),
        negate: false,
        op: Operator::In,
        arg: None,
        value: Operand::List(
            keys.iter()
                .map(|k| match k {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
    }];
    let outcome = if flags.return_rows {
        let read = Plan {
            root,
            kind: PlanKind::Read { head: false },
            ..flags.shell(table)
        };
        let outcome = execute::run(&mut tx, &query::build(&read), &ctx).await?;
        root = read.root;
        outcome
    } else {
        Outcome {
            page_total: parents as i64,
            ..Outcome::default()
        }
    };
    let respond_with = Plan {
        root,
        kind: PlanKind::Insert {
            columns: Vec::new(),
            rows: Value::Null,
            missing_default,
            upsert: None,
            nested: Vec::new(),
        },
        ..flags.shell(table)
    };
    super::response::check_single(&respond_with, &outcome)?;
    execute::finish(tx, rollback, &ctx).await?;
    Ok((respond_with, outcome))
}

/// The settings of the request's plan that carry over to the plans built from it.
#[derive(Clone, Copy)]
struct Flags {
    return_rows: bool,
    single: bool,
    headers_only: bool,
    csv: bool,
    strip_nulls: bool,
}

impl Flags {
    fn shell(self, table: &'static crate::meta::Table) -> Plan {
        Plan {
            root: empty_node(table),
            kind: PlanKind::Delete,
            return_rows: self.return_rows,
            single: self.single,
            count: None,
            max_affected: None,
            headers_only: self.headers_only,
            put: false,
            csv: self.csv,
            strip_nulls: self.strip_nulls,
            head: false,
        }
    }
}

fn empty_node(table: &'static crate::meta::Table) -> Node {
    Node {
        table,
        alias: table.name.to_string(),
        items: Vec::new(),
        filters: Vec::new(),
        order: Vec::new(),
        limit: None,
        offset: 0,
    }
}

/// A plain insert that returns nothing.
fn write_plan(
    table: &'static crate::meta::Table,
    columns: Vec<&'static crate::meta::Column>,
    rows: Vec<Value>,
    missing_default: bool,
) -> Plan {
    Plan {
        root: empty_node(table),
        kind: PlanKind::Insert {
            columns,
            rows: Value::Array(rows),
            missing_default,
            upsert: None,
            nested: Vec::new(),
        },
        return_rows: false,
        single: false,
        count: None,
        max_affected: None,
        headers_only: false,
        put: false,
        csv: false,
        strip_nulls: false,
        head: false,
    }
}
