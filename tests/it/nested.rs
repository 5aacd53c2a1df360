//! Nested inserts: a parent and its to-many children in one POST, atomically.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::{Value, json};

async fn tools(app: &TestApp) -> Vec<String> {
    let (_, _, b) = send(
        app.rest(Method::POST, "tools?select=id", Some(&app.service_key()))
            .header("prefer", "return=representation")
            .json(&json!([{"name": "search"}, {"name": "weather"}])),
    )
    .await;
    b.as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn parents_and_children_in_one_request() {
    let app = TestApp::start().await;
    let u = app.user("nested@example.com").await;
    let t = tools(&app).await;
    let (s, h, b) = send(
        app.rest(Method::POST, "agents?select=name,agent_tools(enabled,tools(name))&agent_tools.order=enabled.desc", Some(&u.token))
            .header("prefer", "return=representation, missing=default")
            .json(&json!([
                {"name": "Researcher", "agent_tools": [{"tool_id": t[0]}, {"tool_id": t[1], "enabled": false}]},
                {"name": "Solo", "agent_tools": []},
            ])),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(h["content-range"], "0-1/*");
    assert_eq!(
        b,
        json!([
            {"name": "Researcher", "agent_tools": [
                {"enabled": true, "tools": {"name": "search"}},
                {"enabled": false, "tools": {"name": "weather"}},
            ]},
            {"name": "Solo", "agent_tools": []},
        ])
    );
    // Minimal return and a given primary key.
    let id = uuid::Uuid::new_v4().to_string();
    let (s, h, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .header("prefer", "return=headers-only")
            .json(&json!({"id": id, "name": "Keyed", "agent_tools": [{"tool_id": t[1]}]})),
    )
    .await;
    assert_eq!((s, b), (201, Value::Null));
    assert_eq!(
        h["location"].to_str().unwrap(),
        format!("/agents?id=eq.{id}")
    );
    let n: i64 =
        sqlx::query_scalar("select count(*) from public.agent_tools where agent_id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.admin)
            .await
            .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_failing_child_rolls_back_the_parent() {
    let app = TestApp::start().await;
    let u = app.user("atomic@example.com").await;
    let t = tools(&app).await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from public.agents")
            .fetch_one(&app.admin)
            .await
            .unwrap()
    };
    // The second child repeats the first: the unique (agent_id, tool_id) constraint fails.
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .json(&json!({
                "name": "Doomed",
                "agent_tools": [{"tool_id": t[0]}, {"tool_id": t[0]}],
            })),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (409, json!("23505")));
    assert_eq!(count().await, 0);
    // Child validation names the field under its key.
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .json(&json!({"name": "x", "agent_tools": [{"enabled": "maybe"}]})),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(
        b["details"]["agent_tools"]["tool_id"],
        "tool_id is required"
    );
    assert_eq!(count().await, 0);
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .json(&json!({"name": "x", "agent_tools": {"tool_id": t[0]}})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST102")));
}
