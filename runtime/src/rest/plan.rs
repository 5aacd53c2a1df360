//! The `plan` stage: an [`ApiRequest`] checked against the generated catalog.
//!
//! Every name the client sent is looked up here; what comes out refers only to
//! `&'static` metadata, so the next stage builds SQL from generated identifiers alone.
//! Unknown schemas, tables and columns are rejected with PostgREST's codes and a hint
//! naming the closest existing name.

use super::request::{
    Accept, Action, ApiRequest, Condition, Count, Filter, IsValue, Operand, Operator, Return,
    SelectItem,
};
use crate::error::ApiError;
use crate::meta::{Catalog, Column, Table};
use axum::http::StatusCode;
use serde_json::Value;

/// A request resolved against the catalog.
#[derive(Debug)]
pub struct Plan {
    /// The table.
    pub table: &'static Table,
    /// What to do.
    pub kind: PlanKind,
    /// Output columns; empty means every column.
    pub select: Vec<Output>,
    /// Conditions, all of which must hold.
    pub filters: Vec<Cond>,
    /// Sort order.
    pub order: Vec<Order>,
    /// Row limit.
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: u64,
    /// Whether the statement returns rows in the body.
    pub return_rows: bool,
    /// Single object wanted.
    pub single: bool,
    /// Count the total.
    pub count: Option<Count>,
}

/// What the statement does.
#[derive(Debug)]
pub enum PlanKind {
    /// SELECT.
    Read {
        /// HEAD request.
        head: bool,
    },
    /// INSERT of one or more rows.
    Insert {
        /// Columns given, in table order.
        columns: Vec<&'static Column>,
        /// The rows, as a JSON array.
        rows: Value,
    },
    /// UPDATE.
    Update {
        /// Columns given, in table order.
        columns: Vec<&'static Column>,
        /// The new values, as a JSON object.
        values: Value,
    },
    /// DELETE.
    Delete,
}

/// One output column.
#[derive(Debug)]
pub struct Output {
    /// The column.
    pub column: &'static Column,
    /// Output key when renamed.
    pub alias: Option<String>,
    /// Cast, from the allow-list.
    pub cast: Option<&'static str>,
}

/// A resolved filter tree.
#[derive(Debug)]
pub enum Cond {
    /// One comparison.
    Compare {
        /// Column.
        column: &'static Column,
        /// Negated.
        negate: bool,
        /// Operator.
        op: Operator,
        /// Operand.
        value: Operand,
    },
    /// Conjunction, possibly negated.
    And(bool, Vec<Cond>),
    /// Disjunction, possibly negated.
    Or(bool, Vec<Cond>),
}

/// One sort term.
#[derive(Debug)]
pub struct Order {
    /// Column.
    pub column: &'static Column,
    /// Descending.
    pub descending: bool,
    /// Nulls placement.
    pub nulls_first: Option<bool>,
}

/// Casts allowed in `select=col::type`: types the client may name, mapped to their SQL.
const CASTS: &[(&str, &str)] = &[
    ("text", "text"),
    ("varchar", "text"),
    ("int", "integer"),
    ("int4", "integer"),
    ("integer", "integer"),
    ("int8", "bigint"),
    ("bigint", "bigint"),
    ("smallint", "smallint"),
    ("numeric", "numeric"),
    ("float8", "double precision"),
    ("float4", "real"),
    ("real", "real"),
    ("boolean", "boolean"),
    ("bool", "boolean"),
    ("uuid", "uuid"),
    ("json", "json"),
    ("jsonb", "jsonb"),
    ("date", "date"),
    ("timestamptz", "timestamptz"),
    ("timestamp", "timestamp"),
];

/// Resolves the schema the request addresses.
pub fn resolve_schema(catalog: &Catalog, profile: Option<&str>) -> Result<&'static str, ApiError> {
    let exposed: Vec<&'static str> = catalog.exposed_schemas().map(|s| s.name).collect();
    match profile {
        None => exposed.first().copied().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "PGRST106",
                "No schema is exposed on /rest/v1",
            )
            .hint("Set `exposed: true` in a spec file")
        }),
        Some(p) => exposed.iter().find(|s| **s == p).copied().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_ACCEPTABLE,
                "PGRST106",
                format!(
                    "The schema must be one of the following: {}",
                    exposed.join(", ")
                ),
            )
            .details(format!("`{p}` is not exposed"))
        }),
    }
}

/// Builds the plan.
pub fn plan(catalog: &Catalog, req: ApiRequest) -> Result<Plan, ApiError> {
    let schema = resolve_schema(catalog, req.profile.as_deref())?;
    let table = find_table(catalog, schema, &req.table)?;
    let select = req
        .select
        .iter()
        .map(|item| output(table, item))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let filters = req
        .filters
        .iter()
        .map(|c| condition(table, c))
        .collect::<Result<Vec<_>, _>>()?;
    let order = req
        .order
        .iter()
        .map(|o| {
            Ok(Order {
                column: column(table, &o.column)?,
                descending: o.descending,
                nulls_first: o.nulls_first,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;

    // The Range header and limit/offset combine: the range picks a window, and
    // limit/offset narrow it further.
    let (mut offset, mut limit) = match req.range {
        Some((from, to)) => (from, to.map(|to| to - from + 1)),
        None => (0, None),
    };
    if let Some(o) = req.offset {
        offset += o;
        limit = limit.map(|l| l.saturating_sub(o));
    }
    if let Some(l) = req.limit {
        limit = Some(limit.map_or(l, |x| x.min(l)));
    }

    let kind = match req.action {
        Action::Read { head } => PlanKind::Read { head },
        Action::Insert => {
            let body = req.body.unwrap_or(Value::Null);
            let rows = match body {
                Value::Array(rows) => rows,
                obj @ Value::Object(_) => vec![obj],
                _ => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "PGRST102",
                        "The body must be a JSON object or an array of objects",
                    ));
                }
            };
            let columns = write_columns(table, req.columns.as_deref(), &rows)?;
            PlanKind::Insert {
                columns,
                rows: Value::Array(rows),
            }
        }
        Action::Update => {
            let body = req.body.unwrap_or(Value::Null);
            if !body.is_object() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST102",
                    "The body of an update must be one JSON object",
                ));
            }
            let columns =
                write_columns(table, req.columns.as_deref(), std::slice::from_ref(&body))?;
            PlanKind::Update {
                columns,
                values: body,
            }
        }
        Action::Delete => PlanKind::Delete,
    };
    if matches!(kind, PlanKind::Update { .. } | PlanKind::Delete) && filters.is_empty() {
        let verb = if matches!(kind, PlanKind::Delete) {
            "DELETE"
        } else {
            "UPDATE"
        };
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "21000",
            format!("{verb} requires a WHERE clause"),
        )
        .hint(format!(
            "Add a filter such as ?id=eq.<id>; to touch every row, filter on a column that always matches, e.g. ?{}=not.is.null",
            table.primary_key.first().copied().unwrap_or("id")
        )));
    }
    let return_rows = match req.action {
        Action::Read { .. } => true,
        _ => req.prefer.return_ == Return::Representation,
    };
    Ok(Plan {
        table,
        kind,
        select,
        filters,
        order,
        limit,
        offset,
        return_rows,
        single: req.accept == Accept::Object,
        count: req.prefer.count,
    })
}

fn find_table(catalog: &Catalog, schema: &str, name: &str) -> Result<&'static Table, ApiError> {
    let tables = catalog.schema(schema).map(|s| s.tables).unwrap_or(&[]);
    tables.iter().find(|t| t.name == name).ok_or_else(|| {
        let mut err = ApiError::new(
            StatusCode::NOT_FOUND,
            "PGRST205",
            format!("Could not find the table '{schema}.{name}' in the schema cache"),
        )
        .details("The spec declares no such table in this schema; the table list is fixed at build time, so there is no cache to reload");
        if let Some(c) = closest(name, tables.iter().map(|t| t.name)) {
            err = err.hint(format!("Perhaps you meant the table '{schema}.{c}'"));
        }
        err
    })
}

/// Looks up a column, with PostgREST's 42703 error and a hint on a typo.
pub fn column(table: &'static Table, name: &str) -> Result<&'static Column, ApiError> {
    table.column(name).ok_or_else(|| {
        let mut err = ApiError::new(
            StatusCode::BAD_REQUEST,
            "42703",
            format!("column {}.{} does not exist", table.name, name),
        );
        if let Some(c) = closest(name, table.columns.iter().map(|c| c.name)) {
            err = err.hint(format!(
                "Perhaps you meant to reference the column \"{}.{}\".",
                table.name, c
            ));
        }
        err
    })
}

fn output(table: &'static Table, item: &SelectItem) -> Result<Vec<Output>, ApiError> {
    match item {
        SelectItem::Star => Ok(table
            .columns
            .iter()
            .map(|c| Output {
                column: c,
                alias: None,
                cast: None,
            })
            .collect()),
        SelectItem::Column { name, alias, cast } => {
            let column = column(table, name)?;
            let cast = match cast {
                None => None,
                Some(c) => Some(
                    CASTS
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(c))
                        .map(|(_, sql)| *sql)
                        .ok_or_else(|| {
                            ApiError::new(
                                StatusCode::BAD_REQUEST,
                                "PGRST100",
                                format!("cannot cast to `{c}`"),
                            )
                            .hint(format!(
                                "Casts available: {}",
                                CASTS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                            ))
                        })?,
                ),
            };
            Ok(vec![Output {
                column,
                alias: alias.clone(),
                cast,
            }])
        }
    }
}

fn condition(table: &'static Table, c: &Condition) -> Result<Cond, ApiError> {
    Ok(match c {
        Condition::Filter(Filter {
            column: name,
            negate,
            op,
            value,
        }) => {
            let column = column(table, name)?;
            if column.array && *op == Operator::In {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST100",
                    format!("`in` does not apply to the array column `{name}`"),
                )
                .hint("Use cs (contains) or ov (overlaps) on array columns"));
            }
            if let Operand::Keyword(IsValue::True | IsValue::False | IsValue::Unknown) = value
                && column.kind != crate::meta::ColumnKind::Boolean
            {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST100",
                    format!(
                        "`is.true`, `is.false` and `is.unknown` apply to boolean columns; `{name}` is {}",
                        column.sql_type
                    ),
                ));
            }
            Cond::Compare {
                column,
                negate: *negate,
                op: *op,
                value: value.clone(),
            }
        }
        Condition::And(neg, items) => Cond::And(
            *neg,
            items
                .iter()
                .map(|i| condition(table, i))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Or(neg, items) => Cond::Or(
            *neg,
            items
                .iter()
                .map(|i| condition(table, i))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The columns a write sets: `columns=` when given, else every key of every row.
fn write_columns(
    table: &'static Table,
    given: Option<&[String]>,
    rows: &[Value],
) -> Result<Vec<&'static Column>, ApiError> {
    let mut names: Vec<String> = match given {
        Some(list) => list.to_vec(),
        None => {
            let mut names = Vec::new();
            for row in rows {
                let Some(obj) = row.as_object() else {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "PGRST102",
                        "Every element of the body must be a JSON object",
                    ));
                };
                for k in obj.keys() {
                    if !names.contains(k) {
                        names.push(k.clone());
                    }
                }
            }
            names
        }
    };
    names.dedup();
    for n in &names {
        if table.column(n).is_none() {
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "PGRST204",
                format!(
                    "Could not find the '{n}' column of '{}' in the schema cache",
                    table.name
                ),
            );
            if let Some(c) = closest(n, table.columns.iter().map(|c| c.name)) {
                err = err.hint(format!("Perhaps you meant the '{c}' column"));
            }
            return Err(err);
        }
    }
    // Table order keeps the generated SQL stable whatever the key order of the body.
    Ok(table
        .columns
        .iter()
        .filter(|c| names.iter().any(|n| n == c.name))
        .collect())
}

/// The candidate closest to `name`, when close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
