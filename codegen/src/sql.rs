//! Small SQL building blocks shared by the emitters: identifier and literal quoting, and the
//! CHECK expression a column's value constraints turn into.
//!
//! Every identifier that reaches emitted SQL goes through [`quote_ident`]; every spec value
//! through [`quote_literal`].

use crate::ir::{BaseType, Field, JsonType, Rule, SqlType};

pub use sqltext::{quote_ident, quote_literal};

/// Formats a number for SQL without a needless fractional part.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The CHECK expression enforcing `rule` on column `name`, or None when it constrains nothing.
pub fn rule_check(name: &str, ty: SqlType, rule: &Rule) -> Option<String> {
    let col = quote_ident(name);
    let mut parts = scalar_checks(&col, rule);
    if let Some(shape) = &rule.shape {
        let json = if ty.base == BaseType::Json {
            format!("{col}::jsonb")
        } else {
            col.clone()
        };
        let mut shape_parts = vec![format!("jsonb_typeof({json}) = 'object'")];
        for f in &shape.fields {
            shape_parts.push(field_check(&json, f));
        }
        if shape.closed {
            let keys: Vec<String> = shape
                .fields
                .iter()
                .map(|f| quote_literal(&f.name))
                .collect();
            shape_parts.push(format!(
                "({json} - array[{}]::text[]) = '{{}}'::jsonb",
                keys.join(", ")
            ));
        }
        parts.push(format!("({})", shape_parts.join(" and ")));
    }
    if parts.is_empty() {
        None
    } else {
        Some(format!("{col} is null or ({})", parts.join(" and ")))
    }
}

/// Checks of length, enum and range on an SQL expression already of the right type.
fn scalar_checks(expr: &str, rule: &Rule) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(min) = rule.min_length {
        parts.push(format!("char_length({expr}) >= {min}"));
    }
    if let Some(max) = rule.max_length {
        parts.push(format!("char_length({expr}) <= {max}"));
    }
    if !rule.one_of.is_empty() {
        let values: Vec<String> = rule.one_of.iter().map(|v| quote_literal(v)).collect();
        parts.push(format!("{expr} in ({})", values.join(", ")));
    }
    if let Some(min) = rule.minimum {
        parts.push(format!("{expr} >= {}", number(min)));
    }
    if let Some(max) = rule.maximum {
        parts.push(format!("{expr} <= {}", number(max)));
    }
    parts
}

/// One key of a shape. CASE keeps the evaluation order fixed, so a cast is only attempted
/// once the JSON type is known to fit (AND/OR give no such guarantee in SQL).
fn field_check(json: &str, f: &Field) -> String {
    let key = quote_literal(&f.name);
    let value = format!("({json} -> {key})");
    let jtype = match f.ty {
        JsonType::Integer => "number",
        other => other.name(),
    };
    let mut inner: Vec<String> = match f.ty {
        JsonType::String => scalar_checks(&format!("({json} ->> {key})"), &f.rule),
        JsonType::Number | JsonType::Integer => {
            scalar_checks(&format!("{value}::numeric"), &f.rule)
        }
        _ => Vec::new(),
    };
    if f.ty == JsonType::Integer {
        inner.insert(0, format!("{value}::numeric = trunc({value}::numeric)"));
    }
    if let Some(items) = f.items {
        let filter = match items {
            JsonType::Integer => "@.type() != \"number\" || @ != @.floor()".to_string(),
            other => format!("@.type() != \"{}\"", other.name()),
        };
        inner.push(format!(
            "not jsonb_path_exists({value}, {})",
            quote_literal(&format!("$[*] ? ({filter})"))
        ));
    }
    let inner = if inner.is_empty() {
        "true".to_string()
    } else {
        inner.join(" and ")
    };
    let missing = if f.required { "false" } else { "true" };
    let null = if f.nullable { "true" } else { "false" };
    format!(
        "case when not ({json} ? {key}) then {missing} when jsonb_typeof({value}) = 'null' then {null} when jsonb_typeof({value}) = '{jtype}' then {inner} else false end"
    )
}
