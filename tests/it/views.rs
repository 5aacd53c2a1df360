//! Views declared in the spec (`public.agent_overview`): served on `/rest/v1` like a
//! read-only table, under the RLS of the tables they read (security_invoker), embeddable
//! through their declared relationships, and described in OpenAPI.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_view_reads_like_a_table_under_the_callers_rls() {
    let app = TestApp::start().await;
    let alice = app.user("alice-views@example.com").await;
    let bob = app.user("bob-views@example.com").await;
    let service = app.service_key();

    // Alice has two agents, one with two tools; Bob has one.
    let mut ids = Vec::new();
    for (token, name) in [
        (&alice.token, "Analyst"),
        (&alice.token, "Writer"),
        (&bob.token, "Bob's"),
    ] {
        let (s, _, b) = send(
            app.rest(Method::POST, "agents", Some(token))
                .header("prefer", "return=representation")
                .json(&json!({"name": name})),
        )
        .await;
        assert_eq!(s, 201, "{b}");
        ids.push(b[0]["id"].as_str().unwrap().to_string());
    }
    for tool in ["search", "calculator"] {
        let (s, _, b) = send(
            app.rest(Method::POST, "tools", Some(&service))
                .header("prefer", "return=representation")
                .json(&json!({"name": tool})),
        )
        .await;
        assert_eq!(s, 201, "{b}");
        let tool_id = b[0]["id"].as_str().unwrap().to_string();
        let (s, _, b) = send(
            app.rest(Method::POST, "agent_tools", Some(&alice.token))
                .json(&json!({"agent_id": ids[0], "tool_id": tool_id})),
        )
        .await;
        assert_eq!(s, 201, "{b}");
    }

    // Filters, order and counts work on the view; Alice sees only her agents.
    let (s, h, b) = send(
        app.rest(
            Method::GET,
            "agent_overview?select=name,tools&order=tools.desc,name",
            Some(&alice.token),
        )
        .header("prefer", "count=exact"),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!([{"name": "Analyst", "tools": 2}, {"name": "Writer", "tools": 0}])
    );
    assert_eq!(h["content-range"], "0-1/2");
    let (s, _, b) = send(app.rest(
        Method::GET,
        "agent_overview?select=name&tools=gt.0",
        Some(&bob.token),
    ))
    .await;
    assert_eq!((s, b), (200, json!([])));

    // The declared relationship embeds both ways.
    let (s, _, b) = send(app.rest(
        Method::GET,
        "agent_overview?select=tools,agents(name,framework)&name=eq.Analyst",
        Some(&alice.token),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!([{"tools": 2, "agents": {"name": "Analyst", "framework": "openai"}}])
    );
    let (s, _, b) = send(app.rest(
        Method::GET,
        "agents?select=name,agent_overview(tools)&order=name",
        Some(&bob.token),
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!([{"name": "Bob's", "agent_overview": [{"tools": 0}]}])
    );

    // Postgres cannot write through an aggregate: 405 with its reason.
    let (s, _, b) = send(
        app.rest(Method::POST, "agent_overview", Some(&alice.token))
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (405, json!("55000")), "{b}");
    assert!(
        b["details"]
            .as_str()
            .is_some_and(|d| d.contains("GROUP BY")),
        "{b}"
    );
    // Nor is anon granted anything on it: 401.
    let (s, _, b) = send(app.rest(Method::GET, "agent_overview", None)).await;
    assert_eq!((s, b["code"].clone()), (401, json!("42501")), "{b}");

    // A column the view does not have is named with the closest one.
    let (s, _, b) = send(app.rest(
        Method::GET,
        "agent_overview?select=tool",
        Some(&alice.token),
    ))
    .await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["hint"].as_str().is_some_and(|h| h.contains("tools")),
        "{b}"
    );

    // OpenAPI: a read-only path with the view's columns.
    let (s, _, doc) = send(app.rest(Method::GET, "", Some(&alice.token))).await;
    assert_eq!(s, 200);
    let path: &Value = &doc["paths"]["/agent_overview"];
    assert!(path["get"].is_object(), "{path}");
    assert!(
        path["post"].is_null() && path["patch"].is_null() && path["delete"].is_null(),
        "{path}"
    );
    let props = &doc["components"]["schemas"]["agent_overview"]["properties"];
    assert_eq!(props["tools"]["format"], "int64", "{props}");
}
