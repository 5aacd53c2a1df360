//! The `query` stage: a [`Plan`] into one parameterized SQL statement.
//!
//! Identifiers come only from the generated catalog and go through [`quote_ident`]; every
//! value the client sent becomes a bound parameter. The statement always returns one row:
//! `total` (when counted), `page_total`, `body` (the JSON array Postgres built) and `first`
//! (its first element, for single-object responses). Writes that return nothing run as a
//! bare statement and report rows affected.

use super::plan::{Cond, Order, Output, Plan, PlanKind};
use super::request::{IsValue, Operand, Operator};
use crate::meta::{Column, Table};

/// A value bound to a statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text, cast by the statement to the column type.
    Text(String),
    /// A text array, for `in` lists.
    TextArray(Vec<String>),
    /// A whole JSON document.
    Json(String),
    /// A row count.
    Int(i64),
}

/// One statement ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// SQL text with `$n` placeholders.
    pub sql: String,
    /// Values for the placeholders, in order.
    pub binds: Vec<Bind>,
    /// True when the statement returns the one summary row described above.
    pub returns_summary: bool,
}

/// Quotes an SQL identifier.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn table_ident(t: &Table) -> String {
    format!("{}.{}", quote_ident(t.schema), quote_ident(t.name))
}

fn col_ref(t: &Table, c: &Column) -> String {
    format!("{}.{}", table_ident(t), quote_ident(c.name))
}

struct Builder {
    binds: Vec<Bind>,
}

impl Builder {
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }
}

/// Builds the statement for a plan.
pub fn build(plan: &Plan) -> Statement {
    let mut b = Builder { binds: Vec::new() };
    let t = plan.table;
    let tbl = table_ident(t);
    let where_sql = where_clause(&mut b, t, &plan.filters);
    let (source, summary) = match &plan.kind {
        PlanKind::Read { .. } => {
            let mut sql = format!(
                "select {} from {tbl}{where_sql}",
                select_list(t, &plan.select, Some(t))
            );
            sql.push_str(&order_clause(t, &plan.order));
            if let Some(limit) = plan.limit {
                let p = b.bind(Bind::Int(limit as i64));
                sql.push_str(&format!(" limit {p}"));
            }
            if plan.offset > 0 {
                let p = b.bind(Bind::Int(plan.offset as i64));
                sql.push_str(&format!(" offset {p}"));
            }
            (sql, true)
        }
        PlanKind::Insert { columns, rows } => {
            let p = b.bind(Bind::Json(rows.to_string()));
            let sql = if columns.is_empty() {
                // Fewer expressions than columns: Postgres fills in every default.
                format!("insert into {tbl} select from json_array_elements({p}::json)")
            } else {
                let names = columns
                    .iter()
                    .map(|c| quote_ident(c.name))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "insert into {tbl} ({names}) select {names} from json_to_recordset({p}::json) as _body({})",
                    record_definition(columns)
                )
            };
            (sql, plan.return_rows)
        }
        PlanKind::Update { columns, values } => {
            let p = b.bind(Bind::Json(values.to_string()));
            let sets = columns
                .iter()
                .map(|c| format!("{} = _body.{}", quote_ident(c.name), quote_ident(c.name)))
                .collect::<Vec<_>>()
                .join(", ");
            (
                format!(
                    "update {tbl} set {sets} from json_to_record({p}::json) as _body({}){where_sql}",
                    record_definition(columns)
                ),
                plan.return_rows,
            )
        }
        PlanKind::Delete => (format!("delete from {tbl}{where_sql}"), plan.return_rows),
    };
    let is_read = matches!(plan.kind, PlanKind::Read { .. });
    if !summary {
        return Statement {
            sql: source,
            binds: b.binds,
            returns_summary: false,
        };
    }
    let (cte, rows_from) = if is_read {
        (String::new(), format!("({source}) _s"))
    } else {
        (
            format!("with _src as ({source} returning {tbl}.*) "),
            format!(
                "(select {} from _src) _s",
                select_list(t, &plan.select, None)
            ),
        )
    };
    let total = match (plan.count, is_read) {
        (Some(_), true) => format!("(select count(*) from {tbl}{where_sql})"),
        _ => "null::bigint".to_string(),
    };
    let sql = format!(
        "{cte}select {total} as total, count(*) as page_total, coalesce(json_agg(_s), '[]')::text as body, (json_agg(_s) -> 0)::text as first from {rows_from}"
    );
    Statement {
        sql,
        binds: b.binds,
        returns_summary: true,
    }
}

/// `"a" uuid, "b" text` for json_to_record(set).
fn record_definition(columns: &[&Column]) -> String {
    columns
        .iter()
        .map(|c| format!("{} {}", quote_ident(c.name), c.sql_type))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The select list; `qualifier` names the relation when reading a table directly.
fn select_list(t: &Table, outputs: &[Output], qualifier: Option<&Table>) -> String {
    let reference = |c: &Column| match qualifier {
        Some(q) => col_ref(q, c),
        None => quote_ident(c.name),
    };
    if outputs.is_empty() {
        return t
            .columns
            .iter()
            .map(|c| format!("{} as {}", reference(c), quote_ident(c.name)))
            .collect::<Vec<_>>()
            .join(", ");
    }
    outputs
        .iter()
        .map(|o| {
            let mut expr = reference(o.column);
            if let Some(cast) = o.cast {
                expr = format!("{expr}::{cast}");
            }
            let name = o.alias.as_deref().unwrap_or(o.column.name);
            format!("{expr} as {}", quote_ident(name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn order_clause(t: &Table, order: &[Order]) -> String {
    if order.is_empty() {
        return String::new();
    }
    let terms: Vec<String> = order
        .iter()
        .map(|o| {
            let mut s = col_ref(t, o.column);
            s.push_str(if o.descending { " desc" } else { " asc" });
            match o.nulls_first {
                Some(true) => s.push_str(" nulls first"),
                Some(false) => s.push_str(" nulls last"),
                None => {}
            }
            s
        })
        .collect();
    format!(" order by {}", terms.join(", "))
}

fn where_clause(b: &mut Builder, t: &Table, filters: &[Cond]) -> String {
    if filters.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = filters.iter().map(|f| cond_sql(b, t, f)).collect();
    format!(" where {}", parts.join(" and "))
}

fn cond_sql(b: &mut Builder, t: &Table, cond: &Cond) -> String {
    match cond {
        Cond::And(negate, items) | Cond::Or(negate, items) => {
            let joiner = if matches!(cond, Cond::And(..)) {
                " and "
            } else {
                " or "
            };
            let inner = if items.is_empty() {
                // An empty and() is true and an empty or() is false, as in logic.
                if matches!(cond, Cond::And(..)) {
                    "true".to_string()
                } else {
                    "false".to_string()
                }
            } else {
                items
                    .iter()
                    .map(|i| cond_sql(b, t, i))
                    .collect::<Vec<_>>()
                    .join(joiner)
            };
            if *negate {
                format!("not ({inner})")
            } else {
                format!("({inner})")
            }
        }
        Cond::Compare {
            column,
            negate,
            op,
            value,
        } => {
            let col = col_ref(t, column);
            let ty = column.sql_type;
            let sql = match (op, value) {
                (Operator::Is, Operand::Keyword(k)) => {
                    let kw = match k {
                        IsValue::Null => "null",
                        IsValue::NotNull => "not null",
                        IsValue::True => "true",
                        IsValue::False => "false",
                        IsValue::Unknown => "unknown",
                    };
                    format!("{col} is {kw}")
                }
                (Operator::In, Operand::List(items)) => {
                    let p = b.bind(Bind::TextArray(items.clone()));
                    format!("{col} = any({p}::{ty}[])")
                }
                (_, Operand::Value(v)) => {
                    let v = v.clone();
                    match op {
                        Operator::Like | Operator::Ilike => {
                            let p = b.bind(Bind::Text(v.replace('*', "%")));
                            let kw = if *op == Operator::Like {
                                "like"
                            } else {
                                "ilike"
                            };
                            format!("{col}::text {kw} {p}")
                        }
                        Operator::Match | Operator::Imatch => {
                            let p = b.bind(Bind::Text(v));
                            let kw = if *op == Operator::Match { "~" } else { "~*" };
                            format!("{col}::text {kw} {p}")
                        }
                        _ => {
                            let p = b.bind(Bind::Text(v));
                            let sym = match op {
                                Operator::Eq => "=",
                                Operator::Neq => "<>",
                                Operator::Gt => ">",
                                Operator::Gte => ">=",
                                Operator::Lt => "<",
                                Operator::Lte => "<=",
                                _ => "is distinct from",
                            };
                            format!("{col} {sym} {p}::{ty}")
                        }
                    }
                }
                // The request stage only pairs lists with `in` and keywords with `is`.
                _ => "false".to_string(),
            };
            if *negate { format!("not ({sql})") } else { sql }
        }
    }
}
