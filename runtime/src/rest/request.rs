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
    /// Table name from the path.
    pub table: String,
    /// Schema asked for with `Accept-Profile` / `Content-Profile`.
    pub profile: Option<String>,
    /// `select=`; empty means `*`.
    pub select: Vec<SelectItem>,
    /// Filters, all of which must hold.
    pub filters: Vec<Condition>,
    /// `order=`.
    pub order: Vec<OrderTerm>,
    /// `limit=`.
    pub limit: Option<u64>,
    /// `offset=`.
    pub offset: Option<u64>,
    /// `Range: items=a-b`.
    pub range: Option<(u64, Option<u64>)>,
    /// `columns=` for inserts.
    pub columns: Option<Vec<String>>,
    /// `Prefer:` header.
    pub prefer: Prefer,
    /// What the client accepts.
    pub accept: Accept,
    /// JSON body of writes.
    pub body: Option<Value>,
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
    /// `alias:column::cast`
    Column {
        /// Column name.
        name: String,
        /// Output key.
        alias: Option<String>,
        /// Cast to this type.
        cast: Option<String>,
    },
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
    /// `not.` prefix.
    pub negate: bool,
    /// Operator.
    pub op: Operator,
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
            _ => return None,
        })
    }
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
    /// Column.
    pub column: String,
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
    /// Preferences that were honoured, echoed in `Preference-Applied`.
    pub applied: Vec<String>,
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
    let action = match *method {
        Method::GET => Action::Read { head: false },
        Method::HEAD => Action::Read { head: true },
        Method::POST => Action::Insert,
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
    let mut req = ApiRequest {
        action,
        table: table.to_string(),
        profile: None,
        select: Vec::new(),
        filters: Vec::new(),
        order: Vec::new(),
        limit: None,
        offset: None,
        range: None,
        columns: None,
        prefer: Prefer::default(),
        accept: Accept::Json,
        body: None,
    };
    let profile_header = match action {
        Action::Read { .. } => "accept-profile",
        _ => "content-profile",
    };
    req.profile = header(headers, profile_header)?.map(str::to_string);
    req.accept = parse_accept(header(headers, "accept")?)?;
    req.prefer = parse_prefer(headers)?;
    req.range = parse_range(header(headers, "range")?)?;

    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "select" => req.select = parse_select(&value)?,
            "order" => req.order = parse_order(&value)?,
            "limit" => req.limit = Some(parse_number("limit", &value)?),
            "offset" => req.offset = Some(parse_number("offset", &value)?),
            "columns" => {
                req.columns = Some(
                    value
                        .split(',')
                        .map(|c| c.trim().trim_matches('"').to_string())
                        .filter(|c| !c.is_empty())
                        .collect(),
                )
            }
            "or" | "and" | "not.or" | "not.and" => {
                let negate = key.starts_with("not.");
                let is_or = key.ends_with("or");
                let inner = value
                    .strip_prefix('(')
                    .and_then(|v| v.strip_suffix(')'))
                    .ok_or_else(|| {
                        bad_request(
                            "PGRST100",
                            format!(
                                "`{key}` expects a list in parentheses, e.g. {key}=(a.eq.1,b.eq.2)"
                            ),
                        )
                    })?;
                let items = parse_logic_items(inner)?;
                req.filters.push(if is_or {
                    Condition::Or(negate, items)
                } else {
                    Condition::And(negate, items)
                });
            }
            column => {
                let filter = parse_filter(column, &value)?;
                req.filters.push(Condition::Filter(filter));
            }
        }
    }

    if matches!(action, Action::Insert | Action::Update) {
        req.body = Some(parse_body(headers, body)?);
    }
    Ok(req)
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

fn parse_accept(accept: Option<&str>) -> Result<Accept, ApiError> {
    let Some(accept) = accept else {
        return Ok(Accept::Json);
    };
    for part in accept.split(',') {
        let media = part
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/vnd.pgrst.object+json" | "application/vnd.pgrst.object" => {
                return Ok(Accept::Object);
            }
            "application/json" | "*/*" | "application/*" | "" => return Ok(Accept::Json),
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
                // Unknown preferences are ignored, as RFC 7240 asks (handling=lenient).
                _ => false,
            };
            if applied && !prefer.applied.iter().any(|a| a == item) {
                prefer.applied.push(item.to_string());
            }
        }
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
    if media != "application/json" && !media.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "PGRST107",
            format!("Content-Type `{content_type}` is not supported; send application/json"),
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(body).map_err(|e| {
        bad_request("PGRST102", "Could not parse the request body as JSON").details(e.to_string())
    })
}

/// Parses `select=`.
pub fn parse_select(value: &str) -> Result<Vec<SelectItem>, ApiError> {
    let mut items = Vec::new();
    for raw in split_top_level(value)? {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        if raw == "*" {
            items.push(SelectItem::Star);
            continue;
        }
        if raw.contains('(') {
            return Err(bad_request(
                "PGRST100",
                format!("Embedding `{raw}` in select is not supported on this endpoint yet"),
            ));
        }
        let (alias, rest) = match raw.split_once(':') {
            Some((a, r)) if !r.starts_with(':') => (Some(a.trim().to_string()), r),
            _ => (None, raw),
        };
        let (name, cast) = match rest.split_once("::") {
            Some((n, c)) => (n.trim(), Some(c.trim().to_string())),
            None => (rest.trim(), None),
        };
        if name.is_empty() {
            return Err(bad_request(
                "PGRST100",
                format!("`{raw}` in select names no column"),
            ));
        }
        items.push(SelectItem::Column {
            name: unquote(name),
            alias,
            cast,
        });
    }
    Ok(items)
}

fn parse_order(value: &str) -> Result<Vec<OrderTerm>, ApiError> {
    let mut terms = Vec::new();
    for raw in value.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let mut parts = raw.split('.');
        let column = unquote(parts.next().unwrap_or_default());
        let mut term = OrderTerm {
            column,
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
fn parse_filter(column: &str, expr: &str) -> Result<Filter, ApiError> {
    let (negate, rest) = match expr.strip_prefix("not.") {
        Some(r) => (true, r),
        None => (false, expr),
    };
    let (op_text, value) = rest.split_once('.').unwrap_or((rest, ""));
    // Full-text operators take an optional language: `fts(english).word`.
    let op = Operator::parse(op_text).ok_or_else(|| {
        bad_request(
            "PGRST100",
            format!("`{op_text}` in `{column}={expr}` is not a known operator"),
        )
        .hint("Filters look like column=eq.value; operators: eq, neq, gt, gte, lt, lte, like, ilike, match, imatch, in, is, isdistinct")
    })?;
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
    Ok(Filter {
        column: unquote(column.trim()),
        negate,
        op,
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
        out.push(Condition::Filter(parse_filter(column, expr)?));
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

    fn get(query: &str) -> Result<ApiRequest, ApiError> {
        parse(&Method::GET, "agents", Some(query), &HeaderMap::new(), b"")
    }

    fn filter(query: &str) -> String {
        match get(query) {
            Ok(r) => format!("{:?}", r.filters),
            Err(e) => format!("error {}: {}", e.code, e.message),
        }
    }

    #[test]
    fn filters() {
        assert_eq!(
            filter("name=eq.a.b"),
            r#"[Filter(Filter { column: "name", negate: false, op: Eq, value: Value("a.b") })]"#
        );
        assert_eq!(
            filter("id=not.in.(1,\"2,3\",4)"),
            r#"[Filter(Filter { column: "id", negate: true, op: In, value: List(["1", "2,3", "4"]) })]"#
        );
        assert_eq!(
            filter("status=is.null"),
            r#"[Filter(Filter { column: "status", negate: false, op: Is, value: Keyword(Null) })]"#
        );
        assert_eq!(
            filter("or=(a.eq.1,and(b.gt.2,c.is.true))"),
            r#"[Or(false, [Filter(Filter { column: "a", negate: false, op: Eq, value: Value("1") }), And(false, [Filter(Filter { column: "b", negate: false, op: Gt, value: Value("2") }), Filter(Filter { column: "c", negate: false, op: Is, value: Keyword(True) })])])]"#
        );
        assert_eq!(
            filter("name=equals.x"),
            "error PGRST100: `equals` in `name=equals.x` is not a known operator"
        );
        assert_eq!(
            filter("id=in.1,2"),
            "error PGRST100: `in` expects a list in parentheses, e.g. id=in.(a,b)"
        );
        assert_eq!(
            filter("or=(a.eq.1"),
            "error PGRST100: `or` expects a list in parentheses, e.g. or=(a.eq.1,b.eq.2)"
        );
    }

    #[test]
    fn select_and_order() {
        let r = get("select=id,title:name,settings::text&order=created_at.desc.nullslast,name")
            .unwrap();
        assert_eq!(
            format!("{:?}", r.select),
            r#"[Column { name: "id", alias: None, cast: None }, Column { name: "name", alias: Some("title"), cast: None }, Column { name: "settings", alias: None, cast: Some("text") }]"#
        );
        assert_eq!(
            format!("{:?}", r.order),
            r#"[OrderTerm { column: "created_at", descending: true, nulls_first: Some(false) }, OrderTerm { column: "name", descending: false, nulls_first: None }]"#
        );
        assert_eq!(get("limit=x").unwrap_err().code, "PGRST100");
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
