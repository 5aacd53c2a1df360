//! How a tool assignment's `config_override` (`ai.agent_tools`, set through
//! `PATCH /api/agents/{id}/tools/{assignment_id}`) constrains an agent's calls of a builtin
//! tool. Pure functions: the agent loop applies them to each call before it runs.
//!
//! - A key of `config_override` that names a property of the tool's `input_schema` (a JSON
//!   Schema object) is force-set in every call's arguments, whatever the model asked for;
//!   other keys are dropped without a word. The model still sees the whole schema.
//! - `schemas` of a database tool (`database_query`, `database_write`) is not an argument
//!   but the allowlist of the tables the agent may reach: `{"<schema>": ["<table>", ...]}`.
//! - Custom and MCP tools do not use `config_override`: their calls are shaped by the tool's
//!   own `config` and by the MCP server's row.

use serde_json::{Map, Value};

/// The builtin tools that reach the database, whose `config_override.schemas` is their
/// table allowlist.
pub const DATABASE_TOOLS: &[&str] = &["database_query", "database_write"];

/// Schemas a database tool may never be given: the platform's own and Postgres's (and
/// every `pg_*` one).
pub const SYSTEM_SCHEMAS: &[&str] = &[
    "ai",
    "auth",
    "storage",
    "ferrobase",
    "information_schema",
    "extensions",
    "graphql",
    "graphql_public",
    "realtime",
    "supabase_functions",
    "vault",
    "net",
    "cron",
    "pgsodium",
];

/// Whether `schema` is one no tool may be given.
pub fn is_system_schema(schema: &str) -> bool {
    SYSTEM_SCHEMAS.contains(&schema) || schema.starts_with("pg_")
}

/// The arguments of one call of a tool (its `type`, `name` and `input_schema` as
/// `ai.tools` holds them) once its assignment's `config_override` is applied.
///
/// For a builtin tool, each key of `config_override` that `input_schema.properties`
/// names replaces (or adds) that argument; any other key is dropped silently, and so is
/// `schemas` of a database tool (see [`table_allowed`]). Other tools' calls, and calls
/// under a `config_override` that is not an object, are left as they are.
pub fn apply_config_override(
    tool_type: &str,
    tool_name: &str,
    input_schema: &Value,
    config_override: &Value,
    mut arguments: Map<String, Value>,
) -> Map<String, Value> {
    if tool_type != "builtin" {
        return arguments;
    }
    let (Some(overrides), Some(properties)) = (
        config_override.as_object(),
        input_schema.get("properties").and_then(Value::as_object),
    ) else {
        return arguments;
    };
    let database = DATABASE_TOOLS.contains(&tool_name);
    for (key, value) in overrides {
        if database && key == "schemas" {
            continue;
        }
        if properties.contains_key(key) {
            arguments.insert(key.clone(), value.clone());
        }
    }
    arguments
}

/// Whether a database tool under this `config_override` may reach `schema.table`: only
/// when `config_override.schemas.<schema>` lists the table (names compared exactly).
/// An assignment without `schemas` allows no table, and a system schema is never allowed,
/// whatever the override says.
pub fn table_allowed(config_override: &Value, schema: &str, table: &str) -> bool {
    if is_system_schema(schema) {
        return false;
    }
    config_override
        .get("schemas")
        .and_then(|s| s.get(schema))
        .and_then(Value::as_array)
        .is_some_and(|tables| tables.iter().any(|t| t.as_str() == Some(table)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn web_search_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "max_results": {"type": "integer"},
                "include_domains": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["query"],
        })
    }

    #[test]
    fn overrides_of_schema_properties_are_forced_and_others_dropped() {
        let called = apply_config_override(
            "builtin",
            "web_search",
            &web_search_schema(),
            &json!({"max_results": 3, "include_domains": ["example.com"], "temperature": 2}),
            args(json!({"query": "rust", "max_results": 50})),
        );
        assert_eq!(
            Value::Object(called),
            json!({"query": "rust", "max_results": 3, "include_domains": ["example.com"]})
        );
    }

    #[test]
    fn nothing_changes_without_an_applicable_override() {
        let call = args(json!({"query": "rust", "max_results": 50}));
        for (tool_type, schema, config_override) in [
            // Custom and MCP tools do not use config_override.
            ("custom", web_search_schema(), json!({"max_results": 3})),
            ("mcp", web_search_schema(), json!({"max_results": 3})),
            // An override that is not an object, or a schema without properties.
            ("builtin", web_search_schema(), json!(null)),
            ("builtin", web_search_schema(), json!([1, 2])),
            ("builtin", json!({}), json!({"max_results": 3})),
            ("builtin", web_search_schema(), json!({})),
        ] {
            assert_eq!(
                apply_config_override(
                    tool_type,
                    "web_search",
                    &schema,
                    &config_override,
                    call.clone()
                ),
                call,
                "{tool_type} {schema} {config_override}"
            );
        }
    }

    #[test]
    fn a_database_tools_schemas_is_an_allowlist_not_an_argument() {
        let schema = json!({"type": "object", "properties": {
            "sql": {"type": "string"},
            "schemas": {"type": "object"},
            "limit": {"type": "integer"},
        }});
        let config_override = json!({"schemas": {"public": ["users", "orders"]}, "limit": 10});
        for tool in DATABASE_TOOLS {
            let called = apply_config_override(
                "builtin",
                tool,
                &schema,
                &config_override,
                args(json!({"sql": "select 1", "schemas": {"auth": ["users"]}})),
            );
            assert_eq!(
                Value::Object(called),
                json!({"sql": "select 1", "schemas": {"auth": ["users"]}, "limit": 10}),
                "{tool}: schemas is neither injected nor trusted as an argument"
            );
        }
        // Another builtin tool with a `schemas` parameter gets it like any other key.
        let called = apply_config_override(
            "builtin",
            "http_request",
            &schema,
            &config_override,
            Map::new(),
        );
        assert_eq!(called["schemas"], json!({"public": ["users", "orders"]}));

        assert!(table_allowed(&config_override, "public", "users"));
        assert!(table_allowed(&config_override, "public", "orders"));
        assert!(!table_allowed(&config_override, "public", "payments"));
        assert!(!table_allowed(&config_override, "public", "Users"));
        assert!(!table_allowed(&config_override, "billing", "users"));
        assert!(!table_allowed(&json!({}), "public", "users"));
        assert!(!table_allowed(&json!(null), "public", "users"));
        assert!(!table_allowed(
            &json!({"schemas": {"public": "users"}}),
            "public",
            "users"
        ));
        // System schemas stay out even if an override names them.
        for schema in ["auth", "ai", "pg_catalog", "storage"] {
            assert!(!table_allowed(
                &json!({"schemas": {schema: ["users"]}}),
                schema,
                "users"
            ));
        }
    }
}
