//! Request validation from the spec's value constraints.
//!
//! The same constraints are CHECKs in the database; checking them here first lets the
//! client learn every failing field at once, by name, instead of one constraint name from
//! Postgres. Errors are `400 VALIDATION_ERROR` with `details` mapping each field (or
//! `column.key` inside a JSON shape) to a sentence.

use crate::error::ApiError;
use crate::meta::{Column, ColumnKind, JsonType, Rule, Table};
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// Whether a row is being created (required columns apply) or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// INSERT: missing required columns are errors.
    Create,
    /// UPDATE: only the given keys are checked.
    Change,
}

/// Validates rows of a write; `rows` are JSON objects.
pub fn validate_rows(table: &Table, rows: &[Value], mode: Mode) -> Result<(), ApiError> {
    let mut errors = Map::new();
    let many = rows.len() > 1;
    for (i, row) in rows.iter().enumerate() {
        let Some(obj) = row.as_object() else { continue };
        let prefix = if many {
            format!("[{i}].")
        } else {
            String::new()
        };
        for column in table.columns {
            match obj.get(column.name) {
                None => {
                    if mode == Mode::Create
                        && !table.view
                        && !column.nullable
                        && !column.has_default()
                    {
                        errors.insert(
                            format!("{prefix}{}", column.name),
                            Value::String(format!("{} is required", column.name)),
                        );
                    }
                }
                Some(v) => {
                    let mut found = Vec::new();
                    check_column(column, v, &mut found);
                    for (key, msg) in found {
                        errors.insert(format!("{prefix}{key}"), Value::String(msg));
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Invalid request body",
        )
        .details(Value::Object(errors))
        .hint(format!(
            "See the schema of `{}` in the OpenAPI document at /rest/v1/",
            table.name
        )))
    }
}

/// Validates a JSON body against a shape (a typed endpoint's declared request).
pub fn validate_body(shape: &'static crate::meta::Shape, body: &Value) -> Result<(), ApiError> {
    let rule = Rule {
        shape: Some(shape),
        ..Rule::NONE
    };
    let mut found = Vec::new();
    check_rule("body", &rule, body, &mut found);
    if found.is_empty() {
        return Ok(());
    }
    let details: Map<String, Value> = found
        .into_iter()
        .map(|(k, m)| {
            let key = k.strip_prefix("body.").unwrap_or(&k).to_string();
            (key, Value::String(m.replace("body.", "")))
        })
        .collect();
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "VALIDATION_ERROR",
        "Invalid request body",
    )
    .details(Value::Object(details)))
}

fn check_column(column: &Column, v: &Value, out: &mut Vec<(String, String)>) {
    let name = column.name;
    if column.generated {
        out.push((
            name.to_string(),
            format!("{name} is generated from the row's other columns and cannot be written"),
        ));
        return;
    }
    if v.is_null() {
        if !column.nullable {
            out.push((name.to_string(), format!("{name} must not be null")));
        }
        return;
    }
    if column.array {
        if !v.is_array() && !v.is_string() {
            out.push((name.to_string(), format!("{name} must be an array")));
        }
        return;
    }
    let type_ok = match column.kind {
        ColumnKind::Text | ColumnKind::Uuid | ColumnKind::Temporal | ColumnKind::Bytes => {
            v.is_string()
        }
        ColumnKind::Boolean => {
            v.is_boolean() || v.as_str().is_some_and(|s| s.parse::<bool>().is_ok())
        }
        ColumnKind::Integer => {
            v.is_i64() || v.is_u64() || v.as_str().is_some_and(|s| s.trim().parse::<i64>().is_ok())
        }
        ColumnKind::Number => {
            v.is_number() || v.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok())
        }
        ColumnKind::Json => true,
        // The database parses the text forms of these.
        ColumnKind::TextSearch => v.is_string(),
        ColumnKind::Vector(n) => {
            if let Some(items) = v.as_array() {
                let width_ok = n.is_none_or(|n| items.len() == n as usize);
                if !width_ok || items.is_empty() || !items.iter().all(Value::is_number) {
                    let count = n.map_or("several".to_string(), |n| n.to_string());
                    out.push((
                        name.to_string(),
                        format!(
                            "{name} must be an array of {count} numbers ({})",
                            column.sql_type
                        ),
                    ));
                }
                return;
            }
            v.is_string()
        }
    };
    if !type_ok {
        let expected = match column.kind {
            ColumnKind::Vector(_) => "an array of numbers or a vector literal",
            ColumnKind::Boolean => "a boolean",
            ColumnKind::Integer => "an integer",
            ColumnKind::Number => "a number",
            _ => "a string",
        };
        out.push((
            name.to_string(),
            format!("{name} must be {expected} ({})", column.sql_type),
        ));
        return;
    }
    if column.kind == ColumnKind::Uuid
        && let Some(s) = v.as_str()
        && uuid::Uuid::parse_str(s).is_err()
    {
        out.push((name.to_string(), format!("{name} must be a UUID")));
        return;
    }
    check_rule(name, &column.rule, v, out);
}

fn check_rule(name: &str, rule: &Rule, v: &Value, out: &mut Vec<(String, String)>) {
    if let Some(s) = v.as_str() {
        let len = s.chars().count() as u32;
        match (rule.min_length, rule.max_length) {
            (Some(min), Some(max)) if len < min || len > max => {
                out.push((
                    name.into(),
                    format!("{name} must be {min} to {max} characters long"),
                ));
                return;
            }
            (Some(min), None) if len < min => {
                out.push((
                    name.into(),
                    format!("{name} must be at least {min} characters long"),
                ));
                return;
            }
            (None, Some(max)) if len > max => {
                out.push((
                    name.into(),
                    format!("{name} must be at most {max} characters long"),
                ));
                return;
            }
            _ => {}
        }
        if !rule.one_of.is_empty() && !rule.one_of.contains(&s) {
            out.push((
                name.into(),
                format!("{name} must be one of: {}", rule.one_of.join(", ")),
            ));
            return;
        }
    }
    let number = v
        .as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
    if let Some(n) = number.filter(|_| rule.minimum.is_some() || rule.maximum.is_some()) {
        let fmt = |x: f64| {
            if x.fract() == 0.0 {
                format!("{}", x as i64)
            } else {
                x.to_string()
            }
        };
        let below = rule.minimum.is_some_and(|m| n < m);
        let above = rule.maximum.is_some_and(|m| n > m);
        if below || above {
            let msg = match (rule.minimum, rule.maximum) {
                (Some(a), Some(b)) => format!("{name} must be between {} and {}", fmt(a), fmt(b)),
                (Some(a), None) => format!("{name} must be at least {}", fmt(a)),
                (None, Some(b)) => format!("{name} must be at most {}", fmt(b)),
                (None, None) => unreachable!("checked above"),
            };
            out.push((name.into(), msg));
            return;
        }
    }
    if let Some(shape) = rule.shape {
        let Some(obj) = v.as_object() else {
            out.push((name.into(), format!("{name} must be a JSON object")));
            return;
        };
        for field in shape.fields {
            let key = format!("{name}.{}", field.name);
            match obj.get(field.name) {
                None => {
                    if field.required {
                        out.push((key.clone(), format!("{key} is required")));
                    }
                }
                Some(Value::Null) => {
                    if !field.nullable {
                        out.push((key.clone(), format!("{key} must not be null")));
                    }
                }
                Some(fv) => {
                    if !json_type_ok(field.ty, fv) {
                        out.push((key.clone(), format!("{key} must be {}", article(field.ty))));
                        continue;
                    }
                    if let (Some(items), Some(arr)) = (field.items, fv.as_array())
                        && arr.iter().any(|i| !json_type_ok(items, i))
                    {
                        out.push((
                            key.clone(),
                            format!("{key} must be an array of {}s", items.name()),
                        ));
                        continue;
                    }
                    check_rule(&key, &field.rule, fv, out);
                }
            }
        }
        if shape.closed {
            for k in obj.keys() {
                if !shape.fields.iter().any(|f| f.name == k) {
                    let key = format!("{name}.{k}");
                    out.push((key.clone(), format!("{key} is not an allowed key")));
                }
            }
        }
    }
}

fn json_type_ok(ty: JsonType, v: &Value) -> bool {
    match ty {
        JsonType::String => v.is_string(),
        JsonType::Number => v.is_number(),
        JsonType::Integer => {
            v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        JsonType::Boolean => v.is_boolean(),
        JsonType::Array => v.is_array(),
        JsonType::Object => v.is_object(),
    }
}

fn article(ty: JsonType) -> String {
    match ty {
        JsonType::Integer | JsonType::Array | JsonType::Object => format!("an {}", ty.name()),
        _ => format!("a {}", ty.name()),
    }
}
