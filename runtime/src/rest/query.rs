//! The `query` stage: a [`Plan`] into one parameterized SQL statement.
//!
//! Identifiers come only from the generated catalog and go through [`quote_ident`]; every
//! value the client sent becomes a bound parameter. The statement always returns one row:
//! `total` (when counted), `page_total`, `body` (the JSON array Postgres built) and `first`
//! (its first element, for single-object responses). Writes that return nothing run as a
//! bare statement and report rows affected.

use super::plan::{Cond, EmbedPlan, Item, Node, Order, Plan, PlanKind, Relationship};
use super::request::{Aggregate, Count, IsValue, JsonStep, OpArg, Operand, Operator};
use crate::meta::{Arg, Column, Function, Returns, Table};

/// A value bound to a statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text, cast by the statement to the column type.
    Text(String),
    /// A text array, for `in` lists.
    TextArray(Vec<String>),
    /// A whole JSON document.
    Json(String),
    /// A row count or an array index.
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
    /// For planned and estimated counts: a statement to EXPLAIN for the planner's row
    /// estimate, with its binds.
    pub explain: Option<(String, Vec<Bind>)>,
}

/// Above this many rows an estimated count comes from the planner instead of count(*).
pub const ESTIMATE_THRESHOLD: i64 = 1000;

pub use sqltext::quote_ident;

fn table_ident(t: &Table) -> String {
    format!("{}.{}", quote_ident(t.schema), quote_ident(t.name))
}

struct Builder {
    binds: Vec<Bind>,
}

impl Builder {
    /// Adds a bind and returns its placeholder, typed after the bind. The type in the SQL
    /// text matters: prepared statements are cached per SQL text, so one text must never
    /// be used with two bind types.
    fn bind(&mut self, b: Bind) -> String {
        let ty = match &b {
            Bind::Text(_) => "text",
            Bind::TextArray(_) => "text[]",
            Bind::Json(_) => "json",
            Bind::Int(_) => "int8",
        };
        self.binds.push(b);
        format!("(${}::{ty})", self.binds.len())
    }

    /// `"alias"."column"` followed by its JSON path, each key a bound parameter.
    fn field(&mut self, alias: &str, column: &Column, path: &[JsonStep]) -> String {
        let mut expr = format!("{}.{}", quote_ident(alias), quote_ident(column.name));
        for step in path {
            let op = if step.as_text { "->>" } else { "->" };
            let key = match step.key.parse::<i64>() {
                Ok(i) => format!("{}::int", self.bind(Bind::Int(i))),
                Err(_) => format!("{}::text", self.bind(Bind::Text(step.key.clone()))),
            };
            expr = format!("({expr} {op} {key})");
        }
        expr
    }
}

/// Builds the statement for a plan.
pub fn build(plan: &Plan) -> Statement {
    let mut b = Builder { binds: Vec::new() };
    let root = &plan.root;
    let t = root.table;
    let alias = quote_ident(&root.alias);
    // What the read path selects from: the table, or the rows a function returns.
    let tbl = match &plan.kind {
        PlanKind::Call {
            function,
            args,
            values,
        } => {
            let (call, args_source) = call_sql(&mut b, function, args, values);
            let from_args = args_source
                .as_deref()
                .map(|a| format!(" from {a}"))
                .unwrap_or_default();
            match function.returns {
                Returns::Scalar(_) | Returns::Void => {
                    // A value answers itself as JSON; a void call answers nothing.
                    let (n, v, inner) = if matches!(function.returns, Returns::Void) {
                        ("0", "null::json", format!("select {call} as v{from_args}"))
                    } else {
                        (
                            "1",
                            "_r.v",
                            format!("select to_json({call}) as v{from_args}"),
                        )
                    };
                    return Statement {
                        sql: format!(
                            "select null::bigint as total, {n}::bigint as page_total, {v}::text as body, {v}::text as first from ({inner}) _r"
                        ),
                        binds: b.binds,
                        returns_summary: true,
                        explain: None,
                    };
                }
                Returns::SetOf(_) | Returns::Row(_) => match args_source {
                    None => call,
                    Some(a) => format!("{a} cross join lateral {call}"),
                },
            }
        }
        _ => table_ident(t),
    };
    let is_read = matches!(plan.kind, PlanKind::Read { .. } | PlanKind::Call { .. });
    // Writes address the table under the same alias reads use, so filters read the same.
    let where_sql = where_clause(&mut b, root);
    let mutation = match &plan.kind {
        PlanKind::Read { .. } | PlanKind::Call { .. } => None,
        PlanKind::Insert {
            columns,
            rows,
            missing_default,
            upsert,
            ..
        } => {
            let names = columns
                .iter()
                .map(|c| quote_ident(c.name))
                .collect::<Vec<_>>()
                .join(", ");
            let mut sql = if columns.is_empty() {
                let p = b.bind(Bind::Json(rows.to_string()));
                // Fewer expressions than columns: Postgres fills in every default.
                format!("insert into {tbl} as {alias} select from json_array_elements({p}::json)")
            } else if *missing_default {
                let p = b.bind(Bind::Json(rows.to_string()));
                let exprs = columns
                    .iter()
                    .map(|c| match c.default_sql {
                        Some(default) => {
                            let key = b.bind(Bind::Text(c.name.to_string()));
                            format!(
                                "case when _e.j ? {key} then _p.{} else {default} end",
                                quote_ident(c.name)
                            )
                        }
                        None => format!("_p.{}", quote_ident(c.name)),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "insert into {tbl} as {alias} ({names}) select {exprs} from jsonb_array_elements({p}::jsonb) as _e(j) cross join lateral jsonb_populate_record(null::{tbl}, _e.j) as _p"
                )
            } else {
                let p = b.bind(Bind::Json(rows.to_string()));
                format!(
                    "insert into {tbl} as {alias} ({names}) select {names} from json_to_recordset({p}::json) as _body({})",
                    record_definition(columns)
                )
            };
            if let Some(u) = upsert {
                let target = u
                    .target
                    .iter()
                    .map(|c| quote_ident(c.name))
                    .collect::<Vec<_>>()
                    .join(", ");
                if u.merge && !columns.is_empty() {
                    let sets = columns
                        .iter()
                        .map(|c| {
                            format!("{} = excluded.{}", quote_ident(c.name), quote_ident(c.name))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    sql.push_str(&format!(" on conflict ({target}) do update set {sets}"));
                } else {
                    sql.push_str(&format!(" on conflict ({target}) do nothing"));
                }
            }
            Some(sql)
        }
        PlanKind::Update { columns, values } => {
            let p = b.bind(Bind::Json(values.to_string()));
            let sets = columns
                .iter()
                .map(|c| format!("{} = _body.{}", quote_ident(c.name), quote_ident(c.name)))
                .collect::<Vec<_>>()
                .join(", ");
            Some(format!(
                "update {tbl} as {alias} set {sets} from json_to_record({p}::json) as _body({}){where_sql}",
                record_definition(columns)
            ))
        }
        PlanKind::Delete => Some(format!("delete from {tbl} as {alias}{where_sql}")),
    };
    if let Some(m) = &mutation
        && !plan.return_rows
    {
        return Statement {
            sql: m.clone(),
            binds: b.binds,
            returns_summary: false,
            explain: None,
        };
    }
    let select = select_list(&mut b, root);
    let joins = joins(&mut b, root);
    let (cte, rows_from) = match &mutation {
        None => {
            let mut inner = format!("select {select} from {tbl} as {alias}{joins}{where_sql}");
            inner.push_str(&group_by(&mut b, root));
            inner.push_str(&order_clause(&mut b, root));
            inner.push_str(&window(&mut b, root));
            (String::new(), format!("({inner}) _s"))
        }
        Some(m) => (
            format!("with _src as ({m} returning {alias}.*) "),
            format!("(select {select} from _src as {alias}{joins}) _s"),
        ),
    };
    let mut explain = None;
    let total = match (plan.count, is_read) {
        (Some(count), true) => {
            let filter_joins = inner_joins_only(&mut b, root);
            let count_where = where_clause(&mut b, root);
            let counted = format!("from {tbl} as {alias}{filter_joins}{count_where}");
            if count != Count::Exact {
                let mut eb = Builder { binds: Vec::new() };
                let ej = inner_joins_only(&mut eb, root);
                let ew = where_clause(&mut eb, root);
                explain = Some((format!("select 1 from {tbl} as {alias}{ej}{ew}"), eb.binds));
            }
            match count {
                Count::Exact => {
                    // A page that is not full already tells the total, so the table is
                    // only counted when it could hold more; CASE evaluates lazily.
                    let offset = root.offset as i64;
                    let not_full = match root.limit {
                        Some(l) => format!("count(*) < {}", b.bind(Bind::Int(l as i64))),
                        None => "true".to_string(),
                    };
                    let off = b.bind(Bind::Int(offset));
                    format!(
                        "(case when {not_full} and (count(*) > 0 or {off} = 0) then {off} + count(*) else (select count(*) {counted}) end)"
                    )
                }
                Count::Planned => "null::bigint".to_string(),
                Count::Estimated => {
                    let cap = b.bind(Bind::Int(ESTIMATE_THRESHOLD + 1));
                    format!("(select count(*) from (select 1 {counted} limit {cap}) _c)")
                }
            }
        }
        _ => "null::bigint".to_string(),
    };
    let (agg, first) = if plan.strip_nulls {
        (
            "json_strip_nulls(json_agg(_s))",
            "json_strip_nulls(json_agg(_s) -> 0)",
        )
    } else {
        ("json_agg(_s)", "(json_agg(_s) -> 0)")
    };
    let sql = format!(
        "{cte}select {total} as total, count(*) as page_total, coalesce({agg}, '[]')::text as body, {first}::text as first from {rows_from}"
    );
    Statement {
        sql,
        binds: b.binds,
        returns_summary: true,
        explain,
    }
}

/// The call expression, and the `json_to_record(...) as _args(...)` source its arguments
/// come from (none without arguments, or for a sole unnamed JSON argument). One JSON parameter carries every
/// argument, and json_to_record converts each to its declared type.
fn call_sql(
    b: &mut Builder,
    f: &Function,
    args: &[&Arg],
    values: &serde_json::Value,
) -> (String, Option<String>) {
    let ident = format!("{}.{}", quote_ident(f.schema), quote_ident(f.name));
    if args.is_empty() {
        return (format!("{ident}()"), None);
    }
    if let [arg] = args
        && arg.name.is_empty()
    {
        let p = b.bind(Bind::Json(values.to_string()));
        return (format!("{ident}({p}::{})", arg.sql_type), None);
    }
    let p = b.bind(Bind::Json(values.to_string()));
    let defs = args
        .iter()
        .map(|a| format!("{} {}", quote_ident(a.name), a.sql_type))
        .collect::<Vec<_>>()
        .join(", ");
    let named = args
        .iter()
        .map(|a| format!("{} => _args.{}", quote_ident(a.name), quote_ident(a.name)))
        .collect::<Vec<_>>()
        .join(", ");
    (
        format!("{ident}({named})"),
        Some(format!("json_to_record({p}) as _args({defs})")),
    )
}

/// `"a" uuid, "b" text` for json_to_record(set).
fn record_definition(columns: &[&Column]) -> String {
    columns
        .iter()
        .map(|c| format!("{} {}", quote_ident(c.name), c.sql_type))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The output list of a node: its columns, and for each embedding the body (or, for a
/// spread, the embedded columns) from its lateral join.
fn select_list(b: &mut Builder, node: &Node) -> String {
    if node.items.is_empty() {
        return node
            .table
            .columns
            .iter()
            .map(|c| {
                format!(
                    "{}.{} as {}",
                    quote_ident(&node.alias),
                    quote_ident(c.name),
                    quote_ident(c.name)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mut parts = Vec::new();
    for item in &node.items {
        match item {
            Item::Column(o) => {
                let mut expr = match (o.column, o.aggregate) {
                    (None, _) => "count(*)".to_string(),
                    (Some(c), None) => b.field(&node.alias, c, &o.path),
                    (Some(c), Some(agg)) => {
                        let field = b.field(&node.alias, c, &o.path);
                        // A JSON value has no sum or average; its numeric reading does.
                        let field = if !o.path.is_empty()
                            && matches!(agg, Aggregate::Sum | Aggregate::Avg)
                        {
                            format!("({field})::text::numeric")
                        } else {
                            field
                        };
                        format!("{}({field})", agg.name())
                    }
                };
                if let Some(cast) = o.cast {
                    expr = format!("{expr}::{cast}");
                }
                parts.push(format!("{expr} as {}", quote_ident(&o.key)));
            }
            Item::Embed(e) => {
                let a = quote_ident(&e.node.alias);
                if e.spread {
                    for key in output_keys(&e.node) {
                        parts.push(format!("{a}.{k} as {k}", k = quote_ident(&key)));
                    }
                } else if e.rel.is_to_one() {
                    parts.push(format!("{a}.body as {}", quote_ident(&e.key)));
                } else {
                    parts.push(format!(
                        "coalesce({a}.body, '[]') as {}",
                        quote_ident(&e.key)
                    ));
                }
            }
        }
    }
    parts.join(", ")
}

/// The keys a node's rows have, for spreading them into the parent.
fn output_keys(node: &Node) -> Vec<String> {
    if node.items.is_empty() {
        return node
            .table
            .columns
            .iter()
            .map(|c| c.name.to_string())
            .collect();
    }
    let mut keys = Vec::new();
    for item in &node.items {
        match item {
            Item::Column(o) => keys.push(o.key.clone()),
            Item::Embed(e) if e.spread => keys.extend(output_keys(&e.node)),
            Item::Embed(e) => keys.push(e.key.clone()),
        }
    }
    keys
}

/// The lateral joins of a node's embeddings.
fn joins(b: &mut Builder, node: &Node) -> String {
    let mut out = String::new();
    for item in &node.items {
        if let Item::Embed(e) = item {
            out.push_str(&embed_join(b, node, e));
        }
    }
    out
}

/// For the total of a read: only `!inner` embeddings change which parents count.
fn inner_joins_only(b: &mut Builder, node: &Node) -> String {
    let mut out = String::new();
    for item in &node.items {
        if let Item::Embed(e) = item
            && e.inner
        {
            out.push_str(&embed_join(b, node, e));
        }
    }
    out
}

fn embed_join(b: &mut Builder, parent: &Node, e: &EmbedPlan) -> String {
    let child = &e.node;
    let ca = quote_ident(&child.alias);
    let link = link_condition(parent, e);
    let select = select_list(b, child);
    let joins = joins(b, child);
    let mut conditions = vec![link];
    for f in &child.filters {
        conditions.push(cond_sql(b, &child.alias, f));
    }
    let mut inner = format!(
        "select {select} from {} as {ca}{joins} where {}",
        table_ident(child.table),
        conditions.join(" and ")
    );
    inner.push_str(&group_by(b, child));
    inner.push_str(&order_clause(b, child));
    inner.push_str(&window(b, child));
    let join_kind = if e.inner { "inner" } else { "left" };
    if e.spread {
        format!(" {join_kind} join lateral ({inner}) as {ca} on true")
    } else if e.rel.is_to_one() {
        format!(
            " {join_kind} join lateral (select row_to_json(_e) as body from ({inner}) _e) as {ca} on true"
        )
    } else {
        let on = if e.inner {
            format!("{ca}.body is not null")
        } else {
            "true".into()
        };
        format!(
            " {join_kind} join lateral (select json_agg(_e) as body from ({inner}) _e) as {ca} on {on}"
        )
    }
}

/// How an embedded row is tied to its parent row.
fn link_condition(parent: &Node, e: &EmbedPlan) -> String {
    let pa = quote_ident(&parent.alias);
    let ca = quote_ident(&e.node.alias);
    let pairs = |left: &str, lcols: &[&str], right: &str, rcols: &[&str]| {
        lcols
            .iter()
            .zip(rcols)
            .map(|(l, r)| format!("{left}.{} = {right}.{}", quote_ident(l), quote_ident(r)))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match e.rel {
        Relationship::ToOne(fk) => pairs(&ca, fk.ref_columns, &pa, fk.columns),
        Relationship::ToMany(fk) => pairs(&ca, fk.columns, &pa, fk.ref_columns),
        Relationship::ManyToMany {
            junction,
            parent_fk,
            child_fk,
        } => {
            let j = quote_ident(&format!("{}_j", e.node.alias));
            format!(
                "exists (select 1 from {} as {j} where {} and {})",
                table_ident(junction),
                pairs(&j, child_fk.columns, &ca, child_fk.ref_columns),
                pairs(&j, parent_fk.columns, &pa, parent_fk.ref_columns)
            )
        }
    }
}

/// With an aggregate in the select, every other output groups the rows, as in PostgREST.
/// Outputs are named by position: their expressions hold bound JSON keys, and the same
/// expression written twice would carry two different placeholders.
fn group_by(_b: &mut Builder, node: &Node) -> String {
    let has_aggregate = node
        .items
        .iter()
        .any(|i| matches!(i, Item::Column(o) if o.aggregate.is_some()));
    if !has_aggregate {
        return String::new();
    }
    let mut keys = Vec::new();
    let mut position = 0;
    for item in &node.items {
        match item {
            Item::Column(o) => {
                position += 1;
                if o.aggregate.is_none() {
                    keys.push(position.to_string());
                }
            }
            Item::Embed(e) if e.spread => {
                for _ in output_keys(&e.node) {
                    position += 1;
                    keys.push(position.to_string());
                }
            }
            Item::Embed(_) => position += 1,
        }
    }
    if keys.is_empty() {
        String::new()
    } else {
        format!(" group by {}", keys.join(", "))
    }
}

fn window(b: &mut Builder, node: &Node) -> String {
    let mut out = String::new();
    if let Some(limit) = node.limit {
        let p = b.bind(Bind::Int(limit as i64));
        out.push_str(&format!(" limit {p}"));
    }
    if node.offset > 0 {
        let p = b.bind(Bind::Int(node.offset as i64));
        out.push_str(&format!(" offset {p}"));
    }
    out
}

fn order_clause(b: &mut Builder, node: &Node) -> String {
    if node.order.is_empty() {
        return String::new();
    }
    let terms: Vec<String> = node
        .order
        .iter()
        .map(|o: &Order| {
            let mut s = match o.embed.and_then(|i| node.items.get(i)) {
                // The related row's column, looked up through the embedding's link.
                Some(Item::Embed(e)) => format!(
                    "(select {} from {} as {} where {})",
                    b.field(&e.node.alias, o.column, &o.path),
                    table_ident(e.node.table),
                    quote_ident(&e.node.alias),
                    link_condition(node, e)
                ),
                _ => b.field(&node.alias, o.column, &o.path),
            };
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

fn where_clause(b: &mut Builder, node: &Node) -> String {
    if node.filters.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = node
        .filters
        .iter()
        .map(|f| cond_sql(b, &node.alias, f))
        .collect();
    format!(" where {}", parts.join(" and "))
}

fn cond_sql(b: &mut Builder, alias: &str, cond: &Cond) -> String {
    match cond {
        Cond::And(negate, items) | Cond::Or(negate, items) => {
            let is_and = matches!(cond, Cond::And(..));
            let inner = if items.is_empty() {
                // An empty and() is true and an empty or() is false, as in logic.
                if is_and {
                    "true".to_string()
                } else {
                    "false".to_string()
                }
            } else {
                items
                    .iter()
                    .map(|i| cond_sql(b, alias, i))
                    .collect::<Vec<_>>()
                    .join(if is_and { " and " } else { " or " })
            };
            if *negate {
                format!("not ({inner})")
            } else {
                format!("({inner})")
            }
        }
        Cond::Compare {
            column,
            path,
            negate,
            op,
            arg,
            value,
        } => {
            let col = b.field(alias, column, path);
            // A JSON path yields text (`->>`) or jsonb (`->`); the operand follows suit.
            let ty = match path.last() {
                None => column.sql_type,
                Some(step) if step.as_text => "text",
                Some(_) => "jsonb",
            };
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
                (_, Operand::Value(v)) => value_condition(b, &col, ty, *op, arg.as_ref(), v),
                // The request stage only pairs lists with `in` and keywords with `is`.
                _ => "false".to_string(),
            };
            if *negate { format!("not ({sql})") } else { sql }
        }
    }
}

/// A comparison with a single operand (or an `any`/`all` list of them).
fn value_condition(
    b: &mut Builder,
    col: &str,
    ty: &str,
    op: Operator,
    arg: Option<&OpArg>,
    v: &str,
) -> String {
    let quantifier = match arg {
        Some(OpArg::Any) => Some("any"),
        Some(OpArg::All) => Some("all"),
        _ => None,
    };
    // The right-hand side: one value cast to the column type, or an array of them.
    let rhs = |b: &mut Builder, value: String, elem_ty: &str| match quantifier {
        Some(q) => format!("{q}({}::{elem_ty}[])", b.bind(Bind::Text(value))),
        None => format!("{}::{elem_ty}", b.bind(Bind::Text(value))),
    };
    match op {
        Operator::Like | Operator::Ilike => {
            let kw = if op == Operator::Like {
                "like"
            } else {
                "ilike"
            };
            let r = rhs(b, v.replace('*', "%"), "text");
            format!("{col}::text {kw} {r}")
        }
        Operator::Match | Operator::Imatch => {
            let kw = if op == Operator::Match { "~" } else { "~*" };
            let r = rhs(b, v.to_string(), "text");
            format!("{col}::text {kw} {r}")
        }
        Operator::Fts | Operator::Plfts | Operator::Phfts | Operator::Wfts => {
            let func = match op {
                Operator::Fts => "to_tsquery",
                Operator::Plfts => "plainto_tsquery",
                Operator::Phfts => "phraseto_tsquery",
                _ => "websearch_to_tsquery",
            };
            let query = b.bind(Bind::Text(v.to_string()));
            // A tsvector column is searched as it is, so that its GIN index serves.
            if ty == "tsvector" {
                return match arg {
                    Some(OpArg::Language(lang)) => {
                        let l = b.bind(Bind::Text(lang.clone()));
                        format!("{col} @@ {func}({l}::regconfig, {query})")
                    }
                    _ => format!("{col} @@ {func}({query})"),
                };
            }
            match arg {
                Some(OpArg::Language(lang)) => {
                    let l = b.bind(Bind::Text(lang.clone()));
                    format!(
                        "to_tsvector({l}::regconfig, {col}::text) @@ {func}({l}::regconfig, {query})"
                    )
                }
                _ => format!("to_tsvector({col}::text) @@ {func}({query})"),
            }
        }
        _ => {
            let sym = match op {
                Operator::Eq => "=",
                Operator::Neq => "<>",
                Operator::Gt => ">",
                Operator::Gte => ">=",
                Operator::Lt => "<",
                Operator::Lte => "<=",
                Operator::Cs => "@>",
                Operator::Cd => "<@",
                Operator::Ov => "&&",
                Operator::Sl => "<<",
                Operator::Sr => ">>",
                Operator::Nxr => "&<",
                Operator::Nxl => "&>",
                Operator::Adj => "-|-",
                _ => "is distinct from",
            };
            // Array columns compare with an array literal; `ov` on an array takes a list.
            let r = rhs(b, v.to_string(), ty);
            format!("{col} {sym} {r}")
        }
    }
}
