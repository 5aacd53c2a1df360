//! The `request` stage: path, query string, headers and body into an [`ApiRequest`].
//!
//! Nothing here knows the schema; names are kept as text and checked by [`super::plan`].
//! The grammar is PostgREST's: `select=`, `order=`, `limit=`, `offset=`, `columns=`,
//! `on_conflict=`, `or=(...)`, `and=(...)`, and `column=[not.]operator.value` filters.

use crate::error::ApiError;
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

/// What the request asks for, before it is checked against the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    /// Read or write.
    pub action: Action,
    /// Table (or, for `/rpc/`, function) name from the path.
    pub table: String,
    /// A call of a function at `/rpc/<name>`.
    pub rpc: bool,
    /// For GET calls: query parameters that may be arguments or filters; the plan stage
    /// knows the function's arguments and decides.
    pub rpc_params: Vec<(String, String)>,
    /// Schema asked for with `Accept-Profile` / `Content-Profile`.
    pub profile: Option<String>,
    /// `select=`; empty means `*`.
    pub select: Vec<SelectItem>,
    /// Filters, all of which must hold, each with the embedding path it applies to
    /// (empty for the top-level table).
    pub filters: Vec<(Vec<String>, Condition)>,
    /// `order=` per embedding path.
    pub order: Vec<(Vec<String>, Vec<OrderTerm>)>,
    /// `limit=` / `offset=` of embedded resources (`rel.limit=`), per path.
    pub embed_windows: Vec<(Vec<String>, Option<u64>, Option<u64>)>,
    /// `limit=`.
    pub limit: Option<u64>,
    /// `offset=`.
    pub offset: Option<u64>,
    /// `Range: items=a-b`.
    pub range: Option<(u64, Option<u64>)>,
    /// `columns=` for inserts.
    pub columns: Option<Vec<String>>,
    /// `on_conflict=` for upserts.
    pub on_conflict: Option<Vec<String>>,
    /// `Prefer:` header.
    pub prefer: Prefer,
    /// What the client accepts.
    pub accept: Accept,
    /// `nulls=stripped` on the JSON media types: drop null-valued keys.
    pub strip_nulls: bool,
    /// JSON body of writes.
    pub body: Option<Value>,
}

impl ApiRequest {
    /// A request for every row and column of `table`, with no preferences.
    pub fn new(action: Action, table: &str) -> ApiRequest {
        ApiRequest {
            action,
            table: table.to_string(),
            rpc: false,
            rpc_params: Vec::new(),
            profile: None,
            select: Vec::new(),
            filters: Vec::new(),
            order: Vec::new(),
            embed_windows: Vec::new(),
            limit: None,
            offset: None,
            range: None,
            columns: None,
            on_conflict: None,
            prefer: Prefer::default(),
            accept: Accept::Json,
            strip_nulls: false,
            body: None,
        }
    }
}

/// The kind of request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// GET (or HEAD when `head`).
    Read {
        /// HEAD: headers only.
        head: bool,
    },
    /// POST.
    Insert,
    /// PUT: upsert of one row addressed by its primary key.
    Put,
    /// PATCH.
    Update,
    /// DELETE.
    Delete,
}

/// One item of `select=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    /// `*`
    Star,
    /// `alias:column->json->>path::cast`
    Column {
        /// Column name.
        name: String,
        /// JSON path into the column.
        path: Vec<JsonStep>,
        /// Output key.
        alias: Option<String>,
        /// Cast to this type.
        cast: Option<String>,
    },
    /// `alias:relation!hint!inner(items)` or `...relation(items)`.
    Embed(Embed),
    /// `alias:count()`: rows per group.
    Count {
        /// Output key.
        alias: Option<String>,
        /// Cast of the result.
        cast: Option<String>,
    },
    /// `alias:column.sum()` and the other aggregates.
    Aggregate {
        /// Column name.
        name: String,
        /// JSON path into the column.
        path: Vec<JsonStep>,
        /// The function.
        aggregate: Aggregate,
        /// Output key.
        alias: Option<String>,
        /// Cast of the result.
        cast: Option<String>,
    },
}

/// Aggregate functions allowed in `select=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// count(column)
    Count,
    /// sum
    Sum,
    /// avg
    Avg,
    /// min
    Min,
    /// max
    Max,
}

impl Aggregate {
    /// SQL name, which is also the default output key.
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
            Aggregate::Avg => "avg",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
        }
    }
}

/// An embedded resource in `select=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// Output key (defaults to the relation name).
    pub alias: Option<String>,
    /// Table name to embed.
    pub relation: String,
    /// Disambiguation: a foreign key name, a column, or a junction table.
    pub hint: Option<String>,
    /// `!inner` keeps only parents with a match.
    pub inner: bool,
    /// `...` lifts the embedded columns into the parent.
    pub spread: bool,
    /// What to select from the embedded table.
    pub items: Vec<SelectItem>,
}

/// One step of a JSON path: `->key` (JSON) or `->>key` (text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonStep {
    /// Object key, or array index when it parses as an integer.
    pub key: String,
    /// `->>`: the result is text.
    pub as_text: bool,
}

/// A boolean tree of filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// One `column=op.value`.
    Filter(Filter),
    /// `and=(...)`, possibly negated.
    And(bool, Vec<Condition>),
    /// `or=(...)`, possibly negated.
    Or(bool, Vec<Condition>),
}

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Column name.
    pub column: String,
    /// JSON path into the column.
    pub path: Vec<JsonStep>,
    /// `not.` prefix.
    pub negate: bool,
    /// Operator.
    pub op: Operator,
    /// `any` / `all` quantifier, or the text-search language, from `op(arg)`.
    pub arg: Option<OpArg>,
    /// The operand.
    pub value: Operand,
}

/// Filter operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// =
    Eq,
    /// <>
    Neq,
    /// >
    Gt,
    /// >=
    Gte,
    /// <
    Lt,
    /// <=
    Lte,
    /// LIKE, with `*` as `%`
    Like,
    /// ILIKE, with `*` as `%`
    Ilike,
    /// ~ (POSIX regex)
    Match,
    /// ~* (case-insensitive regex)
    Imatch,
    /// = ANY(list)
    In,
    /// IS null/true/false/unknown
    Is,
    /// IS DISTINCT FROM
    IsDistinct,
    /// Full-text search with to_tsquery
    Fts,
    /// Full-text search with plainto_tsquery
    Plfts,
    /// Full-text search with phraseto_tsquery
    Phfts,
    /// Full-text search with websearch_to_tsquery
    Wfts,
    /// @> (contains)
    Cs,
    /// <@ (contained in)
    Cd,
    /// && (overlaps)
    Ov,
    /// << (strictly left of)
    Sl,
    /// >> (strictly right of)
    Sr,
    /// &< (does not extend to the right of)
    Nxr,
    /// &> (does not extend to the left of)
    Nxl,
    /// -|- (adjacent to)
    Adj,
}

impl Operator {
    fn parse(s: &str) -> Option<Operator> {
        Some(match s {
            "eq" => Operator::Eq,
            "neq" => Operator::Neq,
            "gt" => Operator::Gt,
            "gte" => Operator::Gte,
            "lt" => Operator::Lt,
            "lte" => Operator::Lte,
            "like" => Operator::Like,
            "ilike" => Operator::Ilike,
            "match" => Operator::Match,
            "imatch" => Operator::Imatch,
            "in" => Operator::In,
            "is" => Operator::Is,
            "isdistinct" => Operator::IsDistinct,
            "fts" => Operator::Fts,
            "plfts" => Operator::Plfts,
            "phfts" => Operator::Phfts,
            "wfts" => Operator::Wfts,
            "cs" => Operator::Cs,
            "cd" => Operator::Cd,
            "ov" => Operator::Ov,
            "sl" => Operator::Sl,
            "sr" => Operator::Sr,
            "nxr" => Operator::Nxr,
            "nxl" => Operator::Nxl,
            "adj" => Operator::Adj,
            _ => return None,
        })
    }
}

/// The parenthesized argument of an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpArg {
    /// `eq(any).{a,b}`: true when any element matches.
    Any,
    /// `like(all).{a*,*b}`: true when every element matches.
    All,
    /// `fts(english).word`: a text-search configuration.
    Language(String),
}

/// The right-hand side of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A single value.
    Value(String),
    /// `in.(a,b,c)`.
    List(Vec<String>),
    /// `is.` keyword.
    Keyword(IsValue),
}

/// What `is.` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsValue {
    /// null
    Null,
    /// not_null (PostgREST 12+)
    NotNull,
    /// true
    True,
    /// false
    False,
    /// unknown
    Unknown,
}

/// One term of `order=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTerm {
    /// The to-one embedding the column belongs to (`order=agents(name)`), if any.
    pub relation: Option<String>,
    /// Column.
    pub column: String,
    /// JSON path into the column.
    pub path: Vec<JsonStep>,
    /// Descending.
    pub descending: bool,
    /// `nullsfirst` (Some(true)) or `nullslast` (Some(false)).
    pub nulls_first: Option<bool>,
}

/// The `Prefer` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefer {
    /// `return=`.
    pub return_: Return,
    /// `count=`.
    pub count: Option<Count>,
    /// `tx=rollback`.
    pub rollback: bool,
    /// `missing=default`: keys absent from a row take the column default, not null.
    pub missing_default: bool,
    /// `resolution=`: turns an insert into an upsert.
    pub resolution: Option<Resolution>,
    /// `handling=strict`: unknown or unusable preferences are errors.
    pub strict: bool,
    /// `max-affected=N` (with `handling=strict`).
    pub max_affected: Option<u64>,
    /// Preferences that were honoured, echoed in `Preference-Applied`.
    pub applied: Vec<String>,
}

/// `Prefer: resolution=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// On conflict, update the existing row with the given columns.
    MergeDuplicates,
    /// On conflict, keep the existing row.
    IgnoreDuplicates,
}

/// `Prefer: return=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Return {
    /// Nothing in the body (default for writes).
    #[default]
    Minimal,
    /// Headers only.
    HeadersOnly,
    /// The affected rows.
    Representation,
}

/// `Prefer: count=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// count(*)
    Exact,
    /// The planner's estimate.
    Planned,
    /// Exact below a threshold, planned above.
    Estimated,
}

/// The media type the client wants back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Accept {
    /// `application/json`: an array.
    #[default]
    Json,
    /// `application/vnd.pgrst.object+json`: exactly one object.
    Object,
    /// `text/csv`: a header line and one line per row.
    Csv,
}

fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

/// Parses one request.
pub fn parse(
    method: &Method,
    table: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ApiRequest, ApiError> {
    parse_request(method, table, false, query, headers, body)
}

/// Parses a call of a function at `/rest/v1/rpc/<name>`.
pub fn parse_rpc(
    method: &Method,
    function: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ApiRequest, ApiError> {
    if !matches!(*method, Method::GET | Method::HEAD | Method::POST) {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "PGRST101",
            "Functions are called with GET (stable or immutable ones) or POST",
        ));
    }
    parse_request(method, function, true, query, headers, body)
}

fn parse_request(
    method: &Method,
    table: &str,
    rpc: bool,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ApiRequest, ApiError> {
    let action = match *method {
        Method::GET => Action::Read { head: false },
        Method::HEAD => Action::Read { head: true },
        Method::POST => Action::Insert,
        Method::PUT => Action::Put,
        Method::PATCH => Action::Update,
        Method::DELETE => Action::Delete,
        _ => {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "PGRST117",
                format!("Unsupported HTTP method: {method}"),
            ));
        }
    };
    let mut req = ApiRequest::new(action, table);
    req.rpc = rpc;
    // A POST to a function reads nothing, but PostgREST takes its schema from
    // Content-Profile like any other POST.
    let profile_header = match action {
        Action::Read { .. } => "accept-profile",
        _ => "content-profile",
    };
    req.profile = header(headers, profile_header)?.map(str::to_string);
    (req.accept, req.strip_nulls) = parse_accept(header(headers, "accept")?)?;
    req.prefer = parse_prefer(headers)?;
    req.range = parse_range(header(headers, "range")?)?;

    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if key == "select" {
            req.select = parse_select(&value)?;
            continue;
        }
        if key == "on_conflict" {
            req.on_conflict = Some(column_list(&value));
            continue;
        }
        if key == "columns" {
            req.columns = Some(column_list(&value));
            continue;
        }
        // `rel.sub.column=...` applies to an embedded resource; the last segment is the
        // column or keyword, the ones before it the embedding path. JSON paths (`->`) can
        // hold no dot in a column name, so splitting on dots is safe before the arrow.
        let (head, arrow_tail) = match key.find("->") {
            Some(i) => (&key[..i], &key[i..]),
            None => (key.as_ref(), ""),
        };
        let mut segments: Vec<String> = head.split('.').map(str::to_string).collect();
        let (not_prefix, last) = match segments.as_slice() {
            [.., n, l] if n == "not" && (l == "or" || l == "and") => (true, l.clone()),
            _ => (false, segments.last().cloned().unwrap_or_default()),
        };
        segments.pop();
        if not_prefix {
            segments.pop();
        }
        let path = segments;
        let last_full = format!("{last}{arrow_tail}");
        match last_full.as_str() {
            "order" => req.order.push((path, parse_order(&value)?)),
            "limit" | "offset" => {
                let n = parse_number(&last_full, &value)?;
                if path.is_empty() {
                    if last_full == "limit" {
                        req.limit = Some(n);
                    } else {
                        req.offset = Some(n);
                    }
                } else {
                    let entry = match req.embed_windows.iter_mut().find(|(p, _, _)| *p == path) {
                        Some(e) => e,
                        None => {
                            req.embed_windows.push((path.clone(), None, None));
                            req.embed_windows.last_mut().expect("just pushed")
                        }
                    };
                    if last_full == "limit" {
                        entry.1 = Some(n);
                    } else {
                        entry.2 = Some(n);
                    }
                }
            }
            "or" | "and" => {
                let is_or = last_full == "or";
                let shown = if not_prefix {
                    format!("not.{last_full}")
                } else {
                    last_full.clone()
                };
                let inner = value
                    .strip_prefix('(')
                    .and_then(|v| v.strip_suffix(')'))
                    .ok_or_else(|| {
                        bad_request(
                            "PGRST100",
                            format!("`{shown}` expects a list in parentheses, e.g. {shown}=(a.eq.1,b.eq.2)"),
                        )
                    })?;
                let items = parse_logic_items(inner)?;
                req.filters.push((
                    path,
                    if is_or {
                        Condition::Or(not_prefix, items)
                    } else {
                        Condition::And(not_prefix, items)
                    },
                ));
            }
            column if rpc && path.is_empty() && matches!(action, Action::Read { .. }) => {
                req.rpc_params
                    .push((column.to_string(), value.into_owned()));
            }
            column => {
                let filter = parse_filter(column, &value)?;
                req.filters.push((path, Condition::Filter(filter)));
            }
        }
    }

    if matches!(action, Action::Insert | Action::Update | Action::Put) {
        req.body = Some(parse_body(headers, body)?);
    }
    Ok(req)
}

/// `a,"b",c` into column names.
fn column_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| bad_request("PGRST100", format!("`{name}` header is not valid text")))
        })
        .transpose()
}

fn parse_number(name: &str, value: &str) -> Result<u64, ApiError> {
    value.trim().parse().map_err(|_| {
        bad_request(
            "PGRST100",
            format!("`{name}` must be a non-negative integer, got `{value}`"),
        )
    })
}

fn parse_accept(accept: Option<&str>) -> Result<(Accept, bool), ApiError> {
    let Some(accept) = accept else {
        return Ok((Accept::Json, false));
    };
    for part in accept.split(',') {
        let mut params = part.split(';');
        let media = params.next().unwrap_or("").trim().to_ascii_lowercase();
        let strip = params.any(|p| p.trim().eq_ignore_ascii_case("nulls=stripped"));
        match media.as_str() {
            "application/vnd.pgrst.object+json" | "application/vnd.pgrst.object" => {
                return Ok((Accept::Object, strip));
            }
            "application/json"
            | "application/vnd.pgrst.array+json"
            | "*/*"
            | "application/*"
            | "" => {
                return Ok((Accept::Json, strip));
            }
            "text/csv" => return Ok((Accept::Csv, false)),
            _ => {}
        }
    }
    Err(ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        "PGRST107",
        format!("None of these media types are available: {accept}"),
    ))
}

fn parse_prefer(headers: &HeaderMap) -> Result<Prefer, ApiError> {
    let mut prefer = Prefer::default();
    let mut unknown: Vec<String> = Vec::new();
    for value in headers.get_all("prefer") {
        let value = value
            .to_str()
            .map_err(|_| bad_request("PGRST100", "`Prefer` header is not valid text"))?;
        for item in value.split(',') {
            let item = item.trim();
            let applied = match item {
                "return=minimal" => {
                    prefer.return_ = Return::Minimal;
                    true
                }
                "return=headers-only" => {
                    prefer.return_ = Return::HeadersOnly;
                    true
                }
                "return=representation" => {
                    prefer.return_ = Return::Representation;
                    true
                }
                "count=exact" => {
                    prefer.count = Some(Count::Exact);
                    true
                }
                "count=planned" => {
                    prefer.count = Some(Count::Planned);
                    true
                }
                "count=estimated" => {
                    prefer.count = Some(Count::Estimated);
                    true
                }
                "tx=rollback" => {
                    prefer.rollback = true;
                    true
                }
                "tx=commit" => true,
                "missing=default" => {
                    prefer.missing_default = true;
                    true
                }
                "resolution=merge-duplicates" => {
                    prefer.resolution = Some(Resolution::MergeDuplicates);
                    true
                }
                "resolution=ignore-duplicates" => {
                    prefer.resolution = Some(Resolution::IgnoreDuplicates);
                    true
                }
                "handling=strict" => {
                    prefer.strict = true;
                    true
                }
                "handling=lenient" => true,
                "" => false,
                other => match other.strip_prefix("max-affected=") {
                    Some(n) => match n.trim().parse::<u64>() {
                        Ok(n) => {
                            prefer.max_affected = Some(n);
                            true
                        }
                        Err(_) => {
                            unknown.push(other.to_string());
                            false
                        }
                    },
                    // Unknown preferences are ignored, as RFC 7240 asks, unless the
                    // client asked for strict handling.
                    None => {
                        unknown.push(other.to_string());
                        false
                    }
                },
            };
            if applied && !prefer.applied.iter().any(|a| a == item) {
                prefer.applied.push(item.to_string());
            }
        }
    }
    if prefer.strict && !unknown.is_empty() {
        return Err(bad_request(
            "PGRST122",
            format!(
                "Invalid preferences given with handling=strict: {}",
                unknown.join(", ")
            ),
        ));
    }
    // max-affected only takes effect under strict handling, as in PostgREST.
    if !prefer.strict && prefer.max_affected.is_some() {
        prefer.max_affected = None;
        prefer.applied.retain(|a| !a.starts_with("max-affected="));
    }
    Ok(prefer)
}

fn parse_range(range: Option<&str>) -> Result<Option<(u64, Option<u64>)>, ApiError> {
    let Some(range) = range else {
        return Ok(None);
    };
    let spec = range.trim().strip_prefix("items=").unwrap_or(range.trim());
    let (from, to) = spec.split_once('-').ok_or_else(|| {
        bad_request(
            "PGRST103",
            format!("Range `{range}` is not of the form items=FROM-TO"),
        )
    })?;
    let from: u64 = from
        .trim()
        .parse()
        .map_err(|_| bad_request("PGRST103", format!("Range `{range}` has no valid start")))?;
    let to =
        match to.trim() {
            "" => None,
            t => Some(t.parse::<u64>().map_err(|_| {
                bad_request("PGRST103", format!("Range `{range}` has no valid end"))
            })?),
        };
    if let Some(to) = to
        && to < from
    {
        return Err(ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "PGRST103",
            "Requested range not satisfiable",
        )
        .details(format!("The range end {to} is before its start {from}")));
    }
    Ok(Some((from, to)))
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let content_type = header(headers, "content-type")?.unwrap_or("application/json");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/json" | "" => {
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Object(Default::default()));
            }
            serde_json::from_slice(body).map_err(|e| {
                bad_request("PGRST102", "Could not parse the request body as JSON")
                    .details(e.to_string())
            })
        }
        "text/csv" => parse_csv_body(body),
        "application/x-www-form-urlencoded" => Ok(Value::Object(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        )),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "PGRST107",
            format!(
                "Content-Type `{content_type}` is not supported; send application/json, text/csv or application/x-www-form-urlencoded"
            ),
        )),
    }
}

/// A CSV body: a header line naming columns, then one row per line. `NULL` (unquoted
/// or not) stands for null, as in PostgREST.
fn parse_csv_body(body: &[u8]) -> Result<Value, ApiError> {
    let csv_err = |e: csv::Error| {
        bad_request("PGRST102", "Could not parse the request body as CSV").details(e.to_string())
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let obj: serde_json::Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| {
                let value = if v == "NULL" {
                    Value::Null
                } else {
                    Value::String(v.to_string())
                };
                (h.clone(), value)
            })
            .collect();
        rows.push(Value::Object(obj));
    }
    Ok(Value::Array(rows))
}

/// Parses `select=`.
pub fn parse_select(value: &str) -> Result<Vec<SelectItem>, ApiError> {
    let mut items = Vec::new();
    for raw in split_top_level(value)? {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        items.push(parse_select_item(raw)?);
    }
    Ok(items)
}

fn parse_select_item(raw: &str) -> Result<SelectItem, ApiError> {
    if raw == "*" {
        return Ok(SelectItem::Star);
    }
    if let Some(item) = parse_aggregate(raw)? {
        return Ok(item);
    }
    if let Some(open) = raw.find('(') {
        let inner = raw[open + 1..].strip_suffix(')').ok_or_else(|| {
            bad_request(
                "PGRST100",
                format!("`{raw}` in select has unbalanced parentheses"),
            )
        })?;
        let mut head = raw[..open].trim();
        let spread = match head.strip_prefix("...") {
            Some(h) => {
                head = h;
                true
            }
            None => false,
        };
        let (alias, head) = split_alias(head);
        let mut parts = head.split('!');
        let relation = unquote(parts.next().unwrap_or_default().trim());
        let mut hint = None;
        let mut inner_join = false;
        for p in parts {
            match p.trim() {
                "inner" => inner_join = true,
                "left" => inner_join = false,
                h => hint = Some(h.to_string()),
            }
        }
        if relation.is_empty() {
            return Err(bad_request(
                "PGRST100",
                format!("`{raw}` in select names no relation"),
            ));
        }
        if spread && alias.is_some() {
            return Err(bad_request(
                "PGRST100",
                format!("`{raw}`: a spread embedding takes no alias; alias its columns instead"),
            ));
        }
        return Ok(SelectItem::Embed(Embed {
            alias,
            relation,
            hint,
            inner: inner_join,
            spread,
            items: parse_select(inner)?,
        }));
    }
    let (alias, rest) = split_alias(raw);
    let (field, cast) = match rest.split_once("::") {
        Some((n, c)) => (n.trim(), Some(c.trim().to_string())),
        None => (rest.trim(), None),
    };
    let (name, path) = parse_field(field)?;
    if name.is_empty() {
        return Err(bad_request(
            "PGRST100",
            format!("`{raw}` in select names no column"),
        ));
    }
    Ok(SelectItem::Column {
        name,
        path,
        alias,
        cast,
    })
}

/// `count()`, `alias:count()`, `column.sum()`, `alias:column->path.avg()::int`.
fn parse_aggregate(raw: &str) -> Result<Option<SelectItem>, ApiError> {
    let (alias, rest) = split_alias(raw);
    let (body, cast) = match rest.rsplit_once("::") {
        Some((b, c)) if b.trim_end().ends_with("()") => (b.trim(), Some(c.trim().to_string())),
        _ => (rest.trim(), None),
    };
    let Some(call) = body.strip_suffix("()") else {
        return Ok(None);
    };
    if call == "count" {
        return Ok(Some(SelectItem::Count { alias, cast }));
    }
    let Some((field, func)) = call.rsplit_once('.') else {
        return Ok(None);
    };
    let aggregate = match func {
        "count" => Aggregate::Count,
        "sum" => Aggregate::Sum,
        "avg" => Aggregate::Avg,
        "min" => Aggregate::Min,
        "max" => Aggregate::Max,
        _ => return Ok(None),
    };
    let (name, path) = parse_field(field)?;
    Ok(Some(SelectItem::Aggregate {
        name,
        path,
        aggregate,
        alias,
        cast,
    }))
}

/// Splits `alias:rest`, leaving `::casts` alone.
fn split_alias(s: &str) -> (Option<String>, &str) {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' => {
                let next_colon = bytes.get(i + 1) == Some(&b':');
                let prev_colon = i > 0 && bytes[i - 1] == b':';
                if !next_colon && !prev_colon {
                    return (Some(s[..i].trim().to_string()), &s[i + 1..]);
                }
                return (None, s);
            }
            b'-' | b'(' | b'!' => return (None, s),
            _ => {}
        }
    }
    (None, s)
}

/// `column->a->>b` into the column and its JSON path.
fn parse_field(field: &str) -> Result<(String, Vec<JsonStep>), ApiError> {
    let Some(first) = field.find("->") else {
        return Ok((unquote(field.trim()), Vec::new()));
    };
    let name = unquote(field[..first].trim());
    let mut path = Vec::new();
    let mut rest = &field[first..];
    while !rest.is_empty() {
        let (as_text, after) = if let Some(r) = rest.strip_prefix("->>") {
            (true, r)
        } else if let Some(r) = rest.strip_prefix("->") {
            (false, r)
        } else {
            return Err(bad_request(
                "PGRST100",
                format!("`{field}` is not a valid JSON path"),
            ));
        };
        let end = after.find("->").unwrap_or(after.len());
        let key = unquote(after[..end].trim());
        if key.is_empty() {
            return Err(bad_request(
                "PGRST100",
                format!("`{field}` has an empty JSON path step"),
            ));
        }
        path.push(JsonStep { key, as_text });
        rest = &after[end..];
    }
    Ok((name, path))
}

fn parse_order(value: &str) -> Result<Vec<OrderTerm>, ApiError> {
    let mut terms = Vec::new();
    for raw in value.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let mut parts = raw.split('.');
        let first = parts.next().unwrap_or_default();
        // `relation(column)`: a column of a to-one embedding orders the parent.
        let (relation, field) = match first.split_once('(') {
            Some((rel, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(|| {
                    bad_request(
                        "PGRST100",
                        format!("`{first}` in order=`{raw}` is missing its closing parenthesis"),
                    )
                })?;
                (Some(rel.to_string()), inner)
            }
            None => (None, first),
        };
        let (column, path) = parse_field(field)?;
        let mut term = OrderTerm {
            relation,
            column,
            path,
            descending: false,
            nulls_first: None,
        };
        for p in parts {
            match p {
                "asc" => term.descending = false,
                "desc" => term.descending = true,
                "nullsfirst" => term.nulls_first = Some(true),
                "nullslast" => term.nulls_first = Some(false),
                other => {
                    return Err(bad_request(
                        "PGRST100",
                        format!(
                            "`{other}` in order=`{raw}` is not asc, desc, nullsfirst or nullslast"
                        ),
                    ));
                }
            }
        }
        terms.push(term);
    }
    Ok(terms)
}

/// Parses `column=[not.]op.value`.
pub fn parse_filter(column: &str, expr: &str) -> Result<Filter, ApiError> {
    let (negate, rest) = match expr.strip_prefix("not.") {
        Some(r) => (true, r),
        None => (false, expr),
    };
    let (op_full, value) = rest.split_once('.').unwrap_or((rest, ""));
    // `fts(english).word`, `eq(any).{a,b}`: the operator may carry an argument.
    let (op_text, arg) = match op_full.split_once('(') {
        Some((name, a)) => (name, Some(a.strip_suffix(')').unwrap_or(a))),
        None => (op_full, None),
    };
    let op = Operator::parse(op_text).ok_or_else(|| {
        bad_request(
            "PGRST100",
            format!("`{op_text}` in `{column}={expr}` is not a known operator"),
        )
        .hint("Filters look like column=eq.value; operators: eq, neq, gt, gte, lt, lte, like, ilike, match, imatch, in, is, isdistinct, fts, plfts, phfts, wfts, cs, cd, ov, sl, sr, nxr, nxl, adj")
    })?;
    let arg = match (op, arg) {
        (_, None) => None,
        (Operator::Fts | Operator::Plfts | Operator::Phfts | Operator::Wfts, Some(lang)) => {
            if lang.is_empty() || !lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad_request(
                    "PGRST100",
                    format!("`{lang}` is not a text search configuration name"),
                ));
            }
            Some(OpArg::Language(lang.to_string()))
        }
        (
            Operator::Eq
            | Operator::Neq
            | Operator::Gt
            | Operator::Gte
            | Operator::Lt
            | Operator::Lte
            | Operator::Like
            | Operator::Ilike
            | Operator::Match
            | Operator::Imatch,
            Some(q),
        ) => match q {
            "any" => Some(OpArg::Any),
            "all" => Some(OpArg::All),
            other => {
                return Err(bad_request(
                    "PGRST100",
                    format!("`{op_text}({other})`: the modifier must be any or all"),
                ));
            }
        },
        (_, Some(a)) => {
            return Err(bad_request(
                "PGRST100",
                format!("`{op_text}` takes no argument, got `({a})`"),
            ));
        }
    };
    if matches!(arg, Some(OpArg::Any | OpArg::All))
        && !(value.starts_with('{') && value.ends_with('}'))
    {
        return Err(bad_request(
            "PGRST100",
            format!("`{op_full}` expects a list in braces, e.g. {column}={op_full}.{{a,b}}"),
        ));
    }
    let value = match op {
        Operator::In => {
            let inner = value
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| {
                    bad_request(
                        "PGRST100",
                        format!("`in` expects a list in parentheses, e.g. {column}=in.(a,b)"),
                    )
                })?;
            let items = if inner.trim().is_empty() {
                Vec::new()
            } else {
                split_top_level(inner)?
                    .into_iter()
                    .map(|s| unquote(s.trim()))
                    .collect()
            };
            Operand::List(items)
        }
        Operator::Is => Operand::Keyword(match value.to_ascii_lowercase().as_str() {
            "null" => IsValue::Null,
            "not_null" => IsValue::NotNull,
            "true" => IsValue::True,
            "false" => IsValue::False,
            "unknown" => IsValue::Unknown,
            other => {
                return Err(bad_request(
                    "PGRST100",
                    format!("`is` accepts null, not_null, true, false or unknown, not `{other}`"),
                ));
            }
        }),
        _ => Operand::Value(value.to_string()),
    };
    let (column, path) = parse_field(column)?;
    Ok(Filter {
        column,
        path,
        negate,
        op,
        arg,
        value,
    })
}

/// Parses the inside of `or=(...)` / `and=(...)`: `a.eq.1,and(b.gt.2,c.is.null)`.
fn parse_logic_items(inner: &str) -> Result<Vec<Condition>, ApiError> {
    let mut out = Vec::new();
    for item in split_top_level(inner)? {
        let item = item.trim();
        let (negate, body) = match item.strip_prefix("not.") {
            Some(b) => (true, b),
            None => (false, item),
        };
        if let Some(args) = body
            .strip_prefix("or(")
            .or_else(|| body.strip_prefix("and("))
        {
            let args = args.strip_suffix(')').ok_or_else(|| {
                bad_request("PGRST100", format!("unbalanced parentheses in `{item}`"))
            })?;
            let children = parse_logic_items(args)?;
            out.push(if body.starts_with("or(") {
                Condition::Or(negate, children)
            } else {
                Condition::And(negate, children)
            });
            continue;
        }
        let (column, expr) = item.split_once('.').ok_or_else(|| {
            bad_request(
                "PGRST100",
                format!("`{item}` is not of the form column.operator.value"),
            )
        })?;
        let mut filter = parse_filter(column, expr)?;
        // Inside a logic tree, a value may be double-quoted to hold reserved characters.
        if let Operand::Value(v) = &filter.value {
            filter.value = Operand::Value(unquote(v));
        }
        out.push(Condition::Filter(filter));
    }
    Ok(out)
}

/// Splits on commas that are not inside parentheses or double quotes.
fn split_top_level(s: &str) -> Result<Vec<&str>, ApiError> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut in_quotes = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '(' if !in_quotes => depth += 1,
            ')' if !in_quotes => {
                depth -= 1;
                if depth < 0 {
                    return Err(bad_request(
                        "PGRST100",
                        format!("unbalanced parentheses in `{s}`"),
                    ));
                }
            }
            ',' if !in_quotes && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || in_quotes {
        return Err(bad_request(
            "PGRST100",
            format!("unbalanced parentheses or quotes in `{s}`"),
        ));
    }
    parts.push(&s[start..]);
    Ok(parts)
}

/// Removes surrounding double quotes and their backslash escapes.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(query: &str, expect: Expect) {
        let out = match parse(&Method::GET, "agents", Some(query), &HeaderMap::new(), b"") {
            Ok(r) => format!(
                "select: {:?}\nfilters: {:?}\norder: {:?}\nwindows: {:?}",
                r.select, r.filters, r.order, r.embed_windows
            ),
            Err(e) => format!("error {} {}: {}", e.status.as_u16(), e.code, e.message),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn filters() {
        check(
            "name=eq.a.b",
            expect![[r#"
                select: []
                filters: [([], Filter(Filter { column: "name", path: [], negate: false, op: Eq, arg: None, value: Value("a.b") }))]
                order: []
                windows: []"#]],
        );
        check(
            "id=not.in.(1,\"2,3\",4)",
            expect![[r#"
                select: []
                filters: [([], Filter(Filter { column: "id", path: [], negate: true, op: In, arg: None, value: List(["1", "2,3", "4"]) }))]
                order: []
                windows: []"#]],
        );
        check(
            "status=is.null",
            expect![[r#"
                select: []
                filters: [([], Filter(Filter { column: "status", path: [], negate: false, op: Is, arg: None, value: Keyword(Null) }))]
                order: []
                windows: []"#]],
        );
        check(
            "or=(a.eq.1,and(b.gt.2,c.is.true))",
            expect![[r#"
                select: []
                filters: [([], Or(false, [Filter(Filter { column: "a", path: [], negate: false, op: Eq, arg: None, value: Value("1") }), And(false, [Filter(Filter { column: "b", path: [], negate: false, op: Gt, arg: None, value: Value("2") }), Filter(Filter { column: "c", path: [], negate: false, op: Is, arg: None, value: Keyword(True) })])]))]
                order: []
                windows: []"#]],
        );
        check(
            "settings->>model=eq.x&tools.name=like.*a*&tools.not.or=(a.eq.1)",
            expect![[r#"
                select: []
                filters: [([], Filter(Filter { column: "settings", path: [JsonStep { key: "model", as_text: true }], negate: false, op: Eq, arg: None, value: Value("x") })), (["tools"], Filter(Filter { column: "name", path: [], negate: false, op: Like, arg: None, value: Value("*a*") })), (["tools"], Or(true, [Filter(Filter { column: "a", path: [], negate: false, op: Eq, arg: None, value: Value("1") })]))]
                order: []
                windows: []"#]],
        );
        check(
            "name=equals.x",
            expect![[r#"error 400 PGRST100: `equals` in `name=equals.x` is not a known operator"#]],
        );
        check(
            "id=in.1,2",
            expect![[
                r#"error 400 PGRST100: `in` expects a list in parentheses, e.g. id=in.(a,b)"#
            ]],
        );
        check(
            "or=(a.eq.1",
            expect![[
                r#"error 400 PGRST100: `or` expects a list in parentheses, e.g. or=(a.eq.1,b.eq.2)"#
            ]],
        );
        check(
            "limit=x",
            expect!["error 400 PGRST100: `limit` must be a non-negative integer, got `x`"],
        );
    }

    #[test]
    fn select_and_order() {
        check(
            "select=id,title:name,settings::text&order=created_at.desc.nullslast,name",
            expect![[r#"
                select: [Column { name: "id", path: [], alias: None, cast: None }, Column { name: "name", path: [], alias: Some("title"), cast: None }, Column { name: "settings", path: [], alias: None, cast: Some("text") }]
                filters: []
                order: [([], [OrderTerm { relation: None, column: "created_at", path: [], descending: true, nulls_first: Some(false) }, OrderTerm { relation: None, column: "name", path: [], descending: false, nulls_first: None }])]
                windows: []"#]],
        );
        check(
            "select=*,tool:tools!agent_tools_tool_id_fkey!inner(id,name),...agents(owner:user_id)",
            expect![[r#"
            select: [Star, Embed(Embed { alias: Some("tool"), relation: "tools", hint: Some("agent_tools_tool_id_fkey"), inner: true, spread: false, items: [Column { name: "id", path: [], alias: None, cast: None }, Column { name: "name", path: [], alias: None, cast: None }] }), Embed(Embed { alias: None, relation: "agents", hint: None, inner: false, spread: true, items: [Column { name: "user_id", path: [], alias: Some("owner"), cast: None }] })]
            filters: []
            order: []
            windows: []"#]],
        );
        check(
            "select=temp:settings->temperature,settings->>model,settings->stop->0",
            expect![[r#"
            select: [Column { name: "settings", path: [JsonStep { key: "temperature", as_text: false }], alias: Some("temp"), cast: None }, Column { name: "settings", path: [JsonStep { key: "model", as_text: true }], alias: None, cast: None }, Column { name: "settings", path: [JsonStep { key: "stop", as_text: false }, JsonStep { key: "0", as_text: false }], alias: None, cast: None }]
            filters: []
            order: []
            windows: []"#]],
        );
        check(
            "select=*,agent_tools(*)&agent_tools.order=created_at.desc&agent_tools.limit=2&agent_tools.offset=1",
            expect![[r#"
                select: [Star, Embed(Embed { alias: None, relation: "agent_tools", hint: None, inner: false, spread: false, items: [Star] })]
                filters: []
                order: [(["agent_tools"], [OrderTerm { relation: None, column: "created_at", path: [], descending: true, nulls_first: None }])]
                windows: [(["agent_tools"], Some(2), Some(1))]"#]],
        );
        check(
            "select=name,agent_tools(id",
            expect![
                "error 400 PGRST100: unbalanced parentheses or quotes in `name,agent_tools(id`"
            ],
        );
        check(
            "select=settings->",
            expect!["error 400 PGRST100: `settings->` has an empty JSON path step"],
        );
        check(
            "select=framework,n:count(),settings->temperature.avg()::numeric,id.count()",
            expect![[r#"
                select: [Column { name: "framework", path: [], alias: None, cast: None }, Count { alias: Some("n"), cast: None }, Aggregate { name: "settings", path: [JsonStep { key: "temperature", as_text: false }], aggregate: Avg, alias: None, cast: Some("numeric") }, Aggregate { name: "id", path: [], aggregate: Count, alias: None, cast: None }]
                filters: []
                order: []
                windows: []"#]],
        );
    }

    #[test]
    fn headers() {
        let mut h = HeaderMap::new();
        h.insert(
            "accept",
            "application/vnd.pgrst.object+json".parse().unwrap(),
        );
        h.insert(
            "prefer",
            "return=representation, count=exact".parse().unwrap(),
        );
        h.insert("range", "items=0-9".parse().unwrap());
        let r = parse(&Method::GET, "agents", None, &h, b"").unwrap();
        assert_eq!(r.accept, Accept::Object);
        assert_eq!(r.prefer.return_, Return::Representation);
        assert_eq!(r.prefer.count, Some(Count::Exact));
        assert_eq!(r.range, Some((0, Some(9))));
        h.insert("accept", "text/html".parse().unwrap());
        assert_eq!(
            parse(&Method::GET, "agents", None, &h, b"")
                .unwrap_err()
                .code,
            "PGRST107"
        );
    }
}
