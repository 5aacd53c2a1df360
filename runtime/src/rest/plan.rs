//! The `plan` stage: an [`ApiRequest`] checked against the generated catalog.
//!
//! Every name the client sent is looked up here; what comes out refers only to
//! `&'static` metadata, so the next stage builds SQL from generated identifiers alone.
//! Unknown schemas, tables and columns are rejected with PostgREST's codes and a hint
//! naming the closest existing name.

use super::request::{
    Accept, Action, Aggregate, ApiRequest, Condition, Count, Embed, Filter, IsValue, JsonStep,
    OpArg, Operand, Operator, Resolution, Return, SelectItem,
};
use crate::error::ApiError;
use crate::meta::{Arg, Catalog, Column, ForeignKey, Function, Returns, Table};
use axum::http::StatusCode;
use serde_json::Value;

/// A request resolved against the catalog.
#[derive(Debug)]
pub struct Plan {
    /// The addressed table with its embedded resources.
    pub root: Node,
    /// What to do.
    pub kind: PlanKind,
    /// Whether the statement returns rows in the body.
    pub return_rows: bool,
    /// Single object wanted.
    pub single: bool,
    /// Count the total.
    pub count: Option<Count>,
    /// Refuse (and roll back) a write touching more rows than this.
    pub max_affected: Option<u64>,
    /// Whether the client asked for `return=headers-only`.
    pub headers_only: bool,
    /// A PUT (answers 200/204 rather than 201).
    pub put: bool,
    /// Answer in CSV.
    pub csv: bool,
    /// Drop null-valued keys from JSON output.
    pub strip_nulls: bool,
    /// HEAD: headers only.
    pub head: bool,
}

impl Plan {
    /// The addressed table.
    pub fn table(&self) -> &'static Table {
        self.root.table
    }
}

/// One table in the statement: the addressed one, or an embedded one.
#[derive(Debug)]
pub struct Node {
    /// The table.
    pub table: &'static Table,
    /// Its alias in the statement, unique within it.
    pub alias: String,
    /// Output items; empty means every column.
    pub items: Vec<Item>,
    /// Conditions, all of which must hold.
    pub filters: Vec<Cond>,
    /// Sort order.
    pub order: Vec<Order>,
    /// Row limit.
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: u64,
}

/// One output item.
#[derive(Debug)]
pub enum Item {
    /// A column, a JSON path into it, or a cast of it.
    Column(Output),
    /// An embedded resource.
    Embed(Box<EmbedPlan>),
}

/// An embedded resource resolved to a relationship.
#[derive(Debug)]
pub struct EmbedPlan {
    /// Output key.
    pub key: String,
    /// The embedded table.
    pub node: Node,
    /// How it relates to its parent.
    pub rel: Relationship,
    /// Keep only parents with a match.
    pub inner: bool,
    /// Lift the columns into the parent.
    pub spread: bool,
}

/// How an embedded table relates to its parent.
#[derive(Debug, Clone, Copy)]
pub enum Relationship {
    /// The parent holds the foreign key: one object (or null).
    ToOne(&'static ForeignKey),
    /// The child holds the foreign key: an array.
    ToMany(&'static ForeignKey),
    /// Through a junction table with foreign keys to both: an array.
    ManyToMany {
        /// The junction table.
        junction: &'static Table,
        /// Its foreign key to the parent.
        parent_fk: &'static ForeignKey,
        /// Its foreign key to the child.
        child_fk: &'static ForeignKey,
    },
}

impl Relationship {
    /// Whether the embedding yields one object.
    pub fn is_to_one(&self) -> bool {
        matches!(self, Relationship::ToOne(_))
    }
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
        /// Keys absent from a row take the column default.
        missing_default: bool,
        /// ON CONFLICT handling, for upserts.
        upsert: Option<Upsert>,
        /// Children inserted with their parents (a body key naming a to-many relationship).
        nested: Vec<Nested>,
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
    /// A function call. Set- and row-returning functions read through `root`, whose
    /// table is the one the function returns.
    Call {
        /// The function.
        function: &'static Function,
        /// Arguments given, in declaration order.
        args: Vec<&'static Arg>,
        /// Their values, as a JSON object.
        values: Value,
    },
}

/// Children of a nested insert: `{"name": .., "agent_tools": [{..}, {..}]}`.
#[derive(Debug)]
pub struct Nested {
    /// The body key.
    pub key: String,
    /// The child table.
    pub table: &'static Table,
    /// The child's foreign key to the parent's primary key (one column).
    pub fk: &'static ForeignKey,
    /// Each child row with the index of its parent row.
    pub rows: Vec<(usize, Value)>,
}

/// How an insert resolves conflicts.
#[derive(Debug)]
pub struct Upsert {
    /// The conflict target: `on_conflict=` columns, or the primary key.
    pub target: Vec<&'static Column>,
    /// Update the existing row (merge) or keep it (ignore).
    pub merge: bool,
}

/// One output column.
#[derive(Debug)]
pub struct Output {
    /// The column; None for `count()`.
    pub column: Option<&'static Column>,
    /// Aggregate applied to it.
    pub aggregate: Option<Aggregate>,
    /// JSON path into it.
    pub path: Vec<JsonStep>,
    /// Output key.
    pub key: String,
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
        /// JSON path into it.
        path: Vec<JsonStep>,
        /// Negated.
        negate: bool,
        /// Operator.
        op: Operator,
        /// Quantifier or text-search language.
        arg: Option<OpArg>,
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
    /// The index in the node's items of the to-one embedding whose column orders the rows
    /// (`order=agents(name)`); None for the node's own column.
    pub embed: Option<usize>,
    /// Column.
    pub column: &'static Column,
    /// JSON path into it.
    pub path: Vec<JsonStep>,
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
    if req.rpc {
        return plan_call(catalog, schema, req);
    }
    let table = find_table(catalog, schema, &req.table)?;
    let mut ctx = NodeContext {
        catalog,
        req: &req,
        aliases: 0,
    };
    let mut root = ctx.node(table, table.name.to_string(), &req.select, &[])?;

    let (offset, limit) = window_of(&req);
    root.limit = limit;
    root.offset = offset;
    // Every path the query string names must be an embedding of the select.
    for (path, _) in &req.filters {
        check_path(&root, path)?;
    }
    for (path, _) in &req.order {
        check_path(&root, path)?;
    }
    for (path, _, _) in &req.embed_windows {
        check_path(&root, path)?;
    }

    let kind = match req.action {
        Action::Read { head } => PlanKind::Read { head },
        Action::Insert | Action::Put => {
            let body = req.body.clone().unwrap_or(Value::Null);
            let rows = match body {
                Value::Array(rows) if req.action == Action::Insert => rows,
                obj @ Value::Object(_) => vec![obj],
                _ => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "PGRST102",
                        if req.action == Action::Put {
                            "The body of a PUT must be one JSON object"
                        } else {
                            "The body must be a JSON object or an array of objects"
                        },
                    ));
                }
            };
            let mut rows = rows;
            let nested = if req.action == Action::Insert {
                extract_nested(catalog, table, &mut rows)?
            } else {
                Vec::new()
            };
            let columns = write_columns(table, req.columns.as_deref(), &rows)?;
            let upsert = if req.action == Action::Put {
                check_put(table, &root, &rows[0])?;
                root.filters.clear();
                Some(Upsert {
                    target: table
                        .primary_key
                        .iter()
                        .filter_map(|k| table.column(k))
                        .collect(),
                    merge: true,
                })
            } else {
                match req.prefer.resolution {
                    None => None,
                    Some(r) => {
                        let target = match &req.on_conflict {
                            Some(cols) => cols
                                .iter()
                                .map(|c| column(table, c))
                                .collect::<Result<Vec<_>, _>>()?,
                            None => table
                                .primary_key
                                .iter()
                                .filter_map(|k| table.column(k))
                                .collect(),
                        };
                        if target.is_empty() {
                            return Err(ApiError::new(
                                StatusCode::BAD_REQUEST,
                                "PGRST100",
                                format!(
                                    "`{}` has no primary key; name the conflict columns with on_conflict=",
                                    table.name
                                ),
                            ));
                        }
                        Some(Upsert {
                            target,
                            merge: r == Resolution::MergeDuplicates,
                        })
                    }
                }
            };
            PlanKind::Insert {
                columns,
                rows: Value::Array(rows),
                missing_default: req.prefer.missing_default,
                upsert,
                nested,
            }
        }
        Action::Update => {
            let body = req.body.clone().unwrap_or(Value::Null);
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
    if matches!(kind, PlanKind::Update { .. } | PlanKind::Delete) && root.filters.is_empty() {
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
        // headers-only needs the primary key of the new row for `Location`.
        _ => matches!(
            req.prefer.return_,
            Return::Representation | Return::HeadersOnly
        ),
    };
    Ok(Plan {
        root,
        kind,
        return_rows,
        single: req.accept == Accept::Object,
        count: req.prefer.count,
        max_affected: req.prefer.max_affected,
        headers_only: req.prefer.return_ == Return::HeadersOnly,
        put: req.action == Action::Put,
        csv: req.accept == Accept::Csv,
        strip_nulls: req.strip_nulls,
        head: req.action == (Action::Read { head: true }),
    })
}

/// Moves body keys that name a to-many relationship out of the parent rows.
fn extract_nested(
    catalog: &Catalog,
    table: &'static Table,
    rows: &mut [Value],
) -> Result<Vec<Nested>, ApiError> {
    let mut nested: Vec<Nested> = Vec::new();
    let tables = catalog
        .schema(table.schema)
        .map(|s| s.tables)
        .unwrap_or(&[]);
    for (i, row) in rows.iter_mut().enumerate() {
        let Some(obj) = row.as_object_mut() else {
            continue;
        };
        let keys: Vec<String> = obj
            .keys()
            .filter(|k| table.column(k).is_none())
            .cloned()
            .collect();
        for key in keys {
            let Some(child) = tables.iter().find(|t| t.name == key) else {
                continue;
            };
            let fks: Vec<&'static ForeignKey> = child
                .foreign_keys
                .iter()
                .filter(|fk| fk.ref_schema == table.schema && fk.ref_table == table.name)
                .collect();
            let [fk] = fks.as_slice() else { continue };
            if fk.columns.len() != 1
                || table.primary_key.len() != 1
                || fk.ref_columns != table.primary_key
            {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST100",
                    format!(
                        "`{key}` cannot be inserted with `{}`: nested inserts need a one-column foreign key to a one-column primary key",
                        table.name
                    ),
                ));
            }
            let value = obj.remove(&key).unwrap_or(Value::Null);
            let children = match value {
                Value::Array(items) if items.iter().all(Value::is_object) => items,
                _ => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "PGRST102",
                        format!("`{key}` in a nested insert must be an array of objects"),
                    ));
                }
            };
            let entry = match nested.iter_mut().position(|n| n.key == key) {
                Some(p) => &mut nested[p],
                None => {
                    nested.push(Nested {
                        key: key.clone(),
                        table: child,
                        fk,
                        rows: Vec::new(),
                    });
                    nested.last_mut().expect("just pushed")
                }
            };
            entry.rows.extend(children.into_iter().map(|c| (i, c)));
        }
    }
    Ok(nested)
}

/// A call of a function at `/rpc/<name>`.
fn plan_call(
    catalog: &Catalog,
    schema: &'static str,
    mut req: ApiRequest,
) -> Result<Plan, ApiError> {
    let functions = catalog.schema(schema).map(|s| s.functions).unwrap_or(&[]);
    let function = functions.iter().find(|f| f.name == req.table);
    let read = matches!(req.action, Action::Read { .. });
    // A sole unnamed JSON argument receives the whole body, whatever its shape.
    if let Some(f) = function
        && let [arg] = f.args
        && arg.name.is_empty()
    {
        if read {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "PGRST101",
                format!(
                    "{schema}.{} takes the request body as its argument; call it with POST",
                    f.name
                ),
            ));
        }
        let body = req.body.take().unwrap_or(Value::Object(Default::default()));
        return finish_call(catalog, schema, req, f, vec![arg], body);
    }
    // Arguments: the JSON body of a POST, or the query parameters of a GET that name one.
    let mut values = serde_json::Map::new();
    if read {
        let params = std::mem::take(&mut req.rpc_params);
        for (key, value) in params {
            if function.is_some_and(|f| f.args.iter().any(|a| a.name == key)) {
                values.insert(key, Value::String(value));
            } else {
                let filter = super::request::parse_filter(&key, &value)?;
                req.filters.push((Vec::new(), Condition::Filter(filter)));
            }
        }
    } else {
        match req.body.take() {
            Some(Value::Object(map)) => values = map,
            Some(Value::Array(_)) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST102",
                    "Function arguments must be one JSON object",
                ));
            }
            _ => {}
        }
    }
    let not_found = |details: String| {
        let mut err = ApiError::new(
            StatusCode::NOT_FOUND,
            "PGRST202",
            format!(
                "Could not find the function {schema}.{}({}) in the schema cache",
                req.table,
                values.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )
        .details(details);
        if let Some(c) = closest(&req.table, functions.iter().map(|f| f.name)) {
            err = err.hint(format!(
                "Perhaps you meant to call the function {schema}.{c}"
            ));
        }
        err
    };
    let Some(function) = function else {
        return Err(not_found(format!(
            "The spec declares no function '{}' in schema '{schema}'",
            req.table
        )));
    };
    if let Some(unknown) = values
        .keys()
        .find(|k| !function.args.iter().any(|a| a.name == k.as_str()))
    {
        let names: Vec<&str> = function.args.iter().map(|a| a.name).collect();
        return Err(not_found(format!(
            "{}.{} has no argument '{unknown}'; its arguments are: {}",
            schema,
            function.name,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    if let Some(missing) = function
        .args
        .iter()
        .find(|a| !a.has_default && !values.contains_key(a.name))
    {
        return Err(not_found(format!(
            "Argument '{}' is required",
            missing.name
        )));
    }
    if read && function.volatility == "volatile" {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "PGRST101",
            format!(
                "{schema}.{} changes data (it is volatile), so it must be called with POST",
                function.name
            ),
        ));
    }
    let args: Vec<&'static Arg> = function
        .args
        .iter()
        .filter(|a| values.contains_key(a.name))
        .collect();
    finish_call(catalog, schema, req, function, args, Value::Object(values))
}

/// The rest of a call's plan once its arguments are known.
fn finish_call(
    catalog: &Catalog,
    schema: &'static str,
    req: ApiRequest,
    function: &'static Function,
    args: Vec<&'static Arg>,
    values: Value,
) -> Result<Plan, ApiError> {
    let returned = match function.returns {
        Returns::SetOf(t) | Returns::Row(t) => catalog.table(schema, t),
        Returns::Scalar(_) | Returns::Void => None,
    };
    let root = match returned {
        Some(table) => {
            let mut ctx = NodeContext {
                catalog,
                req: &req,
                aliases: 0,
            };
            let mut root = ctx.node(table, function.name.to_string(), &req.select, &[])?;
            let (offset, limit) = window_of(&req);
            root.limit = limit;
            root.offset = offset;
            for (path, _) in &req.filters {
                check_path(&root, path)?;
            }
            root
        }
        None => {
            if !req.select.is_empty() || !req.filters.is_empty() || !req.order.is_empty() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST100",
                    format!(
                        "{schema}.{} returns a single value, which cannot be selected, filtered or ordered",
                        function.name
                    ),
                ));
            }
            // Scalar functions still need a node for the shared plumbing; it is never read.
            Node {
                table: &NO_TABLE,
                alias: function.name.to_string(),
                items: Vec::new(),
                filters: Vec::new(),
                order: Vec::new(),
                limit: None,
                offset: 0,
            }
        }
    };
    Ok(Plan {
        root,
        kind: PlanKind::Call {
            function,
            args,
            values,
        },
        return_rows: true,
        single: req.accept == Accept::Object || matches!(function.returns, Returns::Row(_)),
        count: req
            .prefer
            .count
            .filter(|_| matches!(function.returns, Returns::SetOf(_))),
        max_affected: None,
        headers_only: false,
        put: false,
        csv: req.accept == Accept::Csv,
        strip_nulls: req.strip_nulls,
        head: req.action == (Action::Read { head: true }),
    })
}

/// Stands in for the table of a scalar function's plan, which reads no table.
static NO_TABLE: Table = Table {
    schema: "",
    name: "",
    columns: &[],
    primary_key: &[],
    foreign_keys: &[],
    rls: false,
    policies: &[],
    view: false,
};

/// The window asked for by `Range` and `limit`/`offset`: the range picks it, and
/// limit/offset narrow it further.
fn window_of(req: &ApiRequest) -> (u64, Option<u64>) {
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
    (offset, limit)
}

/// PUT addresses one row: its filters are `eq` on every primary key column, and the body
/// carries the same values.
fn check_put(table: &'static Table, root: &Node, row: &Value) -> Result<(), ApiError> {
    let err = || {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "PGRST105",
            "Filters must include all and only primary key columns with 'eq' operators",
        )
    };
    if table.primary_key.is_empty() || root.filters.len() != table.primary_key.len() {
        return Err(err());
    }
    for f in &root.filters {
        let Cond::Compare {
            column,
            path,
            negate: false,
            op: Operator::Eq,
            arg: None,
            value: Operand::Value(v),
        } = f
        else {
            return Err(err());
        };
        if !path.is_empty() || !table.primary_key.contains(&column.name) {
            return Err(err());
        }
        let body_value = row.get(column.name).map(|b| match b {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if body_value.as_deref() != Some(v.as_str()) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "PGRST115",
                "Payload values do not match URL in primary key column(s)",
            ));
        }
    }
    Ok(())
}

struct NodeContext<'a> {
    catalog: &'a Catalog,
    req: &'a ApiRequest,
    aliases: usize,
}

impl NodeContext<'_> {
    fn node(
        &mut self,
        table: &'static Table,
        alias: String,
        select: &[SelectItem],
        path: &[String],
    ) -> Result<Node, ApiError> {
        let mut items = Vec::new();
        for item in select {
            match item {
                SelectItem::Star => items.extend(table.columns.iter().map(|c| {
                    Item::Column(Output {
                        column: Some(c),
                        aggregate: None,
                        path: Vec::new(),
                        key: c.name.to_string(),
                        cast: None,
                    })
                })),
                SelectItem::Column {
                    name,
                    path: json,
                    alias,
                    cast,
                } => items.push(Item::Column(output(table, name, json, alias, cast)?)),
                SelectItem::Count { alias, cast } => {
                    check_aggregates(self.catalog, table)?;
                    items.push(Item::Column(Output {
                        column: None,
                        aggregate: Some(Aggregate::Count),
                        path: Vec::new(),
                        key: alias.clone().unwrap_or_else(|| "count".into()),
                        cast: cast.as_deref().map(allowed_cast).transpose()?,
                    }));
                }
                SelectItem::Aggregate {
                    name,
                    path: json,
                    aggregate,
                    alias,
                    cast,
                } => {
                    check_aggregates(self.catalog, table)?;
                    let mut out = output(table, name, json, &None, &None)?;
                    out.aggregate = Some(*aggregate);
                    out.key = alias
                        .clone()
                        .unwrap_or_else(|| aggregate.name().to_string());
                    out.cast = cast.as_deref().map(allowed_cast).transpose()?;
                    items.push(Item::Column(out));
                }
                SelectItem::Embed(e) => {
                    let key = e.alias.clone().unwrap_or_else(|| e.relation.clone());
                    let (child, rel) = relationship(self.catalog, table, e)?;
                    self.aliases += 1;
                    let child_alias = format!("{}_{}", child.name, self.aliases);
                    let mut child_path = path.to_vec();
                    child_path.push(key.clone());
                    let node = self.node(child, child_alias, &e.items, &child_path)?;
                    if e.spread && !rel.is_to_one() {
                        return Err(ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "PGRST119",
                            format!(
                                "A spread operation on '{}' is only possible on to-one relationships",
                                e.relation
                            ),
                        ));
                    }
                    items.push(Item::Embed(Box::new(EmbedPlan {
                        key,
                        node,
                        rel,
                        inner: e.inner,
                        spread: e.spread,
                    })));
                }
            }
        }
        let aggregated = items
            .iter()
            .any(|i| matches!(i, Item::Column(o) if o.aggregate.is_some()));
        if aggregated
            && items
                .iter()
                .any(|i| matches!(i, Item::Embed(e) if !e.spread))
        {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "PGRST100",
                "Aggregates cannot be combined with embedded resources in the same select, except spread ones (...table(col))",
            ));
        }
        let filters = self
            .req
            .filters
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, c)| condition(table, c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut order = Vec::new();
        for (p, terms) in &self.req.order {
            if p != path {
                continue;
            }
            for o in terms {
                let (embed, table) = match &o.relation {
                    None => (None, table),
                    Some(rel) => {
                        let (i, e) = related_order(&items, rel)?;
                        (Some(i), e.node.table)
                    }
                };
                order.push(Order {
                    embed,
                    column: column(table, &o.column)?,
                    path: o.path.clone(),
                    descending: o.descending,
                    nulls_first: o.nulls_first,
                });
            }
        }
        let (limit, offset) = self
            .req
            .embed_windows
            .iter()
            .find(|(p, _, _)| p == path)
            .map(|(_, l, o)| (*l, o.unwrap_or(0)))
            .unwrap_or((None, 0));
        Ok(Node {
            table,
            alias,
            items,
            filters,
            order,
            limit,
            offset,
        })
    }
}

/// The to-one embedding of `items` named `rel` (by its key or its table), which an
/// `order=rel(column)` term sorts the parent rows by.
fn related_order<'i>(items: &'i [Item], rel: &str) -> Result<(usize, &'i EmbedPlan), ApiError> {
    let found = items.iter().enumerate().find_map(|(i, item)| match item {
        Item::Embed(e) if e.key == rel || e.node.table.name == rel => Some((i, e)),
        _ => None,
    });
    match found {
        Some((i, e)) if e.rel.is_to_one() && !e.spread => Ok((i, e)),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "PGRST118",
            format!("A related order on '{rel}' is not possible"),
        )
        .hint(
            "Only a to-one embedding (the parent holds the foreign key) can order the parent rows",
        )),
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "PGRST108",
            format!("'{rel}' is not an embedded resource in this request"),
        )
        .hint(format!(
            "Add '{rel}' to the 'select' query parameter to order by it"
        ))),
    }
}

/// Checks that a query-string path (`rel.sub`) names embeddings of the select.
fn check_path(root: &Node, path: &[String]) -> Result<(), ApiError> {
    let mut node = root;
    for key in path {
        let next = node.items.iter().find_map(|i| match i {
            Item::Embed(e) if &e.key == key => Some(&e.node),
            _ => None,
        });
        node = next.ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "PGRST108",
                format!("'{key}' is not an embedded resource in this request"),
            )
            .hint(format!(
                "Add '{key}' to the 'select' query parameter to filter, order or limit it"
            ))
        })?;
    }
    Ok(())
}

/// Finds the one relationship an embedding refers to.
fn relationship(
    catalog: &Catalog,
    parent: &'static Table,
    embed: &Embed,
) -> Result<(&'static Table, Relationship), ApiError> {
    let schema = parent.schema;
    let tables = catalog.schema(schema).map(|s| s.tables).unwrap_or(&[]);
    let mut found: Vec<(&'static Table, Relationship, String, &'static str)> = Vec::new();
    let target = tables.iter().find(|t| t.name == embed.relation);
    if let Some(child) = target {
        for fk in parent.foreign_keys {
            if fk.ref_schema == schema && fk.ref_table == child.name {
                found.push((
                    child,
                    Relationship::ToOne(fk),
                    fk.name.to_string(),
                    "many-to-one",
                ));
            }
        }
        for fk in child.foreign_keys {
            if fk.ref_schema == schema && fk.ref_table == parent.name {
                found.push((
                    child,
                    Relationship::ToMany(fk),
                    fk.name.to_string(),
                    "one-to-many",
                ));
            }
        }
        for junction in tables {
            if junction.name == parent.name || junction.name == child.name {
                continue;
            }
            for pfk in junction
                .foreign_keys
                .iter()
                .filter(|f| f.ref_schema == schema && f.ref_table == parent.name)
            {
                for cfk in junction
                    .foreign_keys
                    .iter()
                    .filter(|f| f.ref_schema == schema && f.ref_table == child.name)
                {
                    if std::ptr::eq(pfk, cfk) {
                        continue;
                    }
                    found.push((
                        child,
                        Relationship::ManyToMany {
                            junction,
                            parent_fk: pfk,
                            child_fk: cfk,
                        },
                        junction.name.to_string(),
                        "many-to-many",
                    ));
                }
            }
        }
    }
    if let Some(hint) = &embed.hint {
        // On a self-reference the same foreign key points both ways: a column hint then
        // picks the parent (many-to-one) and a constraint-name hint the children.
        let self_reference = embed.relation == parent.name;
        found.retain(|(_, rel, name, _)| {
            (name == hint && !self_reference)
                || match rel {
                    Relationship::ToOne(fk) if self_reference => fk.columns == [hint.as_str()],
                    Relationship::ToMany(fk) if self_reference => fk.name == hint,
                    Relationship::ToOne(fk) | Relationship::ToMany(fk) => {
                        fk.name == hint || fk.columns == [hint.as_str()]
                    }
                    Relationship::ManyToMany {
                        junction,
                        parent_fk,
                        child_fk,
                    } => junction.name == hint || parent_fk.name == hint || child_fk.name == hint,
                }
        });
    }
    match found.len() {
        1 => {
            let (child, rel, _, _) = found.remove(0);
            Ok((child, rel))
        }
        0 => {
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "PGRST200",
                format!(
                    "Could not find a relationship between '{}' and '{}' in the schema cache",
                    parent.name, embed.relation
                ),
            );
            if target.is_none() {
                err = err.details(format!(
                    "The spec declares no table '{}' in schema '{schema}'",
                    embed.relation
                ));
                if let Some(c) = closest(&embed.relation, tables.iter().map(|t| t.name)) {
                    err = err.hint(format!("Perhaps you meant '{c}'"));
                }
            } else {
                let related: Vec<String> = relatives(tables, parent);
                err = err.details(format!(
                    "No foreign key links '{}' and '{}'{}",
                    parent.name,
                    embed.relation,
                    embed
                        .hint
                        .as_ref()
                        .map(|h| format!(" through '{h}'"))
                        .unwrap_or_default()
                ));
                if !related.is_empty() {
                    err = err.hint(format!(
                        "'{}' can embed: {}",
                        parent.name,
                        related.join(", ")
                    ));
                }
            }
            Err(err)
        }
        _ => {
            let details: Vec<Value> = found
                .iter()
                .map(|(child, _, name, card)| {
                    serde_json::json!({
                        "cardinality": card,
                        "embedding": format!("{} with {}", parent.name, child.name),
                        "relationship": name,
                    })
                })
                .collect();
            let options: Vec<String> = found
                .iter()
                .map(|(child, _, name, _)| format!("'{}!{name}'", child.name))
                .collect();
            Err(ApiError::new(
                StatusCode::MULTIPLE_CHOICES,
                "PGRST201",
                format!(
                    "Could not embed because more than one relationship was found for '{}' and '{}'",
                    parent.name, embed.relation
                ),
            )
            .details(Value::Array(details))
            .hint(format!(
                "Try changing '{}' to one of the following: {}. Find the desired relationship in the 'details' key.",
                embed.relation,
                options.join(", ")
            )))
        }
    }
}

/// Tables a parent can embed, for hints.
fn relatives(tables: &'static [Table], parent: &Table) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for fk in parent.foreign_keys {
        if fk.ref_schema == parent.schema {
            out.push(fk.ref_table.to_string());
        }
    }
    for t in tables {
        if t.foreign_keys
            .iter()
            .any(|fk| fk.ref_schema == parent.schema && fk.ref_table == parent.name)
        {
            out.push(t.name.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
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

fn output(
    table: &'static Table,
    name: &str,
    path: &[JsonStep],
    alias: &Option<String>,
    cast: &Option<String>,
) -> Result<Output, ApiError> {
    let column = column(table, name)?;
    if !path.is_empty() && column.kind != crate::meta::ColumnKind::Json {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "PGRST100",
            format!(
                "`{name}` is {}, not JSON, so it has no JSON path",
                column.sql_type
            ),
        ));
    }
    let cast = cast.as_deref().map(allowed_cast).transpose()?;
    // PostgREST names a JSON path output after its last key.
    let key = alias
        .clone()
        .or_else(|| path.last().map(|s| s.key.clone()))
        .unwrap_or_else(|| column.name.to_string());
    Ok(Output {
        column: Some(column),
        aggregate: None,
        path: path.to_vec(),
        key,
        cast,
    })
}

/// A cast from the allow-list.
fn allowed_cast(c: &str) -> Result<&'static str, ApiError> {
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
        })
}

/// Aggregates can make a request expensive; a schema opts in with `aggregates: true`.
fn check_aggregates(catalog: &Catalog, table: &Table) -> Result<(), ApiError> {
    if catalog.schema(table.schema).is_some_and(|s| s.aggregates) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "PGRST123",
            "Use of aggregate functions is not allowed",
        )
        .hint(format!(
            "Set `aggregates: true` in the spec of schema `{}` to allow them",
            table.schema
        )))
    }
}

fn condition(table: &'static Table, c: &Condition) -> Result<Cond, ApiError> {
    Ok(match c {
        Condition::Filter(Filter {
            column: name,
            path,
            negate,
            op,
            arg,
            value,
        }) => {
            let column = column(table, name)?;
            if !path.is_empty() && column.kind != crate::meta::ColumnKind::Json {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST100",
                    format!(
                        "`{name}` is {}, not JSON, so it has no JSON path",
                        column.sql_type
                    ),
                ));
            }
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
                path: path.clone(),
                negate: *negate,
                op: *op,
                arg: arg.clone(),
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
pub(crate) fn write_columns(
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

pub use sqltext::closest;
