//! Typed endpoints under `/api`: agent CRUD and tool assignments, with the seed's error
//! shape and statuses, over the example spec's tables.

use crate::harness::{TestApp, User, send};
use reqwest::Method;
use serde_json::json;

struct Api<'a> {
    app: &'a TestApp,
}

impl Api<'_> {
    fn req(&self, m: Method, path: &str, user: Option<&User>) -> reqwest::RequestBuilder {
        let mut rb = self
            .app
            .http
            .request(m, format!("{}{path}", self.app.base))
            .header("apikey", self.app.anon_key());
        if let Some(u) = user {
            rb = rb.header("authorization", format!("Bearer {}", u.token));
        }
        rb
    }
}

#[tokio::test]
async fn agent_crud_is_scoped_to_the_caller() {
    let app = TestApp::start().await;
    let api = Api { app: &app };
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;

    let (s, _, agent) = send(api.req(Method::POST, "/api/example/agents", Some(&alice)).json(&json!({
        "name": "My Agent", "model": "gpt-4o", "system_prompt": "You are helpful.", "settings": {"temperature": 0.7},
        "user_id": bob.id,
    })))
    .await;
    assert_eq!(s, 201, "{agent}");
    assert_eq!(agent["name"], "My Agent");
    assert_eq!(
        agent["user_id"],
        json!(alice.id),
        "the owner is the caller, whatever the body says"
    );
    let id = agent["id"].as_str().unwrap().to_string();

    let (s, _, list) = send(api.req(Method::GET, "/api/example/agents", Some(&alice))).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)));
    let (_, _, list) = send(api.req(Method::GET, "/api/example/agents", Some(&bob))).await;
    assert_eq!(list, json!([]));

    let (s, _, got) = send(api.req(
        Method::GET,
        &format!("/api/example/agents/{id}"),
        Some(&alice),
    ))
    .await;
    assert_eq!((s, got["id"].clone()), (200, json!(id)));
    // Someone else's agent, an unknown id and a malformed id are all the same 404.
    for (path, who) in [
        (format!("/api/example/agents/{id}"), &bob),
        (
            format!("/api/example/agents/{}", uuid::Uuid::new_v4()),
            &alice,
        ),
        ("/api/example/agents/nope".into(), &alice),
    ] {
        let (s, _, b) = send(api.req(Method::GET, &path, Some(who))).await;
        assert_eq!((s, b), (404, json!({"error": "Agent not found"})), "{path}");
    }

    let (s, _, patched) = send(
        api.req(
            Method::PATCH,
            &format!("/api/example/agents/{id}"),
            Some(&alice),
        )
        .json(&json!({"settings": {"temperature": 0.5}})),
    )
    .await;
    assert_eq!(
        (s, patched["settings"].clone()),
        (200, json!({"temperature": 0.5}))
    );
    let (s, _, b) = send(
        api.req(
            Method::PATCH,
            &format!("/api/example/agents/{id}"),
            Some(&bob),
        )
        .json(&json!({"name": "mine now"})),
    )
    .await;
    assert_eq!((s, b), (404, json!({"error": "Agent not found"})));

    // Validation: 400 with the failing fields in the message.
    let (s, _, b) = send(
        api.req(Method::POST, "/api/example/agents", Some(&alice))
            .json(&json!({"framework": "cohere"})),
    )
    .await;
    assert_eq!(s, 400);
    let msg = b["error"].as_str().unwrap();
    assert!(
        msg.contains("name is required") && msg.contains("framework must be one of"),
        "{msg}"
    );
    let (s, _, b) = send(
        api.req(Method::POST, "/api/example/agents", Some(&alice))
            .body("[1]"),
    )
    .await;
    assert_eq!(
        (s, b["error"].clone()),
        (400, json!("The body must be a JSON object"))
    );

    // Without a token there is no user: 401 in the same shape.
    let (s, _, b) = send(app.http.get(format!("{}/api/example/agents", app.base))).await;
    assert_eq!(s, 401);
    assert!(b["error"].is_string());

    let (s, _, _) = send(api.req(
        Method::DELETE,
        &format!("/api/example/agents/{id}"),
        Some(&bob),
    ))
    .await;
    assert_eq!(s, 404);
    let (s, _, _) = send(api.req(
        Method::DELETE,
        &format!("/api/example/agents/{id}"),
        Some(&alice),
    ))
    .await;
    assert_eq!(s, 204);
    let (s, _, _) = send(api.req(
        Method::GET,
        &format!("/api/example/agents/{id}"),
        Some(&alice),
    ))
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn tool_assignments() {
    let app = TestApp::start().await;
    let api = Api { app: &app };
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    let (s, _, _) = send(
        app.rest(Method::POST, "tools", Some(&app.service_key()))
            .json(&json!([{"name": "database_query"}, {"name": "web_search"}])),
    )
    .await;
    assert_eq!(s, 201);
    let (_, _, agent) = send(
        api.req(Method::POST, "/api/example/agents", Some(&alice))
            .json(&json!({"name": "Analyst"})),
    )
    .await;
    let id = agent["id"].as_str().unwrap().to_string();
    let tools = format!("/api/example/agents/{id}/tools");

    // Assign by tool name.
    let (s, _, a) = send(
        api.req(Method::POST, &tools, Some(&alice))
            .json(&json!({"tool_name": "database_query"})),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(a["agent_id"], json!(id));
    assert_eq!(a["config_override"], json!({}));
    let assignment = a["id"].as_str().unwrap().to_string();
    let (s, _, b) = send(api.req(Method::POST, &tools, Some(&alice)).json(&json!({}))).await;
    assert_eq!((s, b), (400, json!({"error": "tool_name is required"})));
    let (s, _, b) = send(
        api.req(Method::POST, &tools, Some(&alice))
            .json(&json!({"tool_name": "teleport"})),
    )
    .await;
    assert_eq!((s, b), (404, json!({"error": "No tool named 'teleport'"})));
    let (s, _, _) = send(
        api.req(Method::POST, &tools, Some(&alice))
            .json(&json!({"tool_name": "database_query"})),
    )
    .await;
    assert_eq!(s, 409);

    // Only the agent's owner sees its assignments.
    let (s, _, list) = send(api.req(Method::GET, &tools, Some(&alice))).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)));
    let (s, _, b) = send(api.req(Method::GET, &tools, Some(&bob))).await;
    assert_eq!((s, b), (404, json!({"error": "Agent not found"})));
    let (s, _, _) = send(
        api.req(Method::POST, &tools, Some(&bob))
            .json(&json!({"tool_name": "web_search"})),
    )
    .await;
    assert_eq!(s, 404);

    // PATCH reads only config_override; other keys are a silent no-op.
    let item = format!("{tools}/{assignment}");
    let (s, _, b) = send(
        api.req(Method::PATCH, &item, Some(&alice))
            .json(&json!({"config_override": {"schemas": {"public": ["users", "orders"]}}})),
    )
    .await;
    assert_eq!(
        (s, b["config_override"].clone()),
        (200, json!({"schemas": {"public": ["users", "orders"]}}))
    );
    let (s, _, b) = send(
        api.req(Method::PATCH, &item, Some(&alice))
            .json(&json!({"config": {"x": 1}, "enabled": false})),
    )
    .await;
    assert_eq!(
        (s, b["config_override"].clone(), b["enabled"].clone()),
        (
            200,
            json!({"schemas": {"public": ["users", "orders"]}}),
            json!(true)
        )
    );
    let (s, _, _) = send(
        api.req(Method::PATCH, &item, Some(&bob))
            .json(&json!({"config_override": {}})),
    )
    .await;
    assert_eq!(s, 404);

    let (s, _, _) = send(api.req(Method::DELETE, &item, Some(&alice))).await;
    assert_eq!(s, 204);
    let (s, _, b) = send(api.req(Method::DELETE, &item, Some(&alice))).await;
    assert_eq!((s, b), (404, json!({"error": "Tool assignment not found"})));
}

#[tokio::test]
async fn handler_and_sql_endpoints() {
    let app = TestApp::start().await;
    let api = Api { app: &app };
    let alice = app.user("alice@example.com").await;
    // A handler: its request is checked against the declared shape before it runs.
    let (s, _, b) = send(
        api.req(Method::POST, "/api/whoami", Some(&alice))
            .json(&json!({"greeting": "hi"})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"role": "authenticated", "user_id": alice.id, "email": "alice@example.com", "greeting": "hi"})
        )
    );
    let (s, _, b) = send(
        api.req(Method::POST, "/api/whoami", Some(&alice))
            .json(&json!({"greeting": 5})),
    )
    .await;
    assert_eq!((s, b), (400, json!({"error": "greeting must be a string"})));
    let (s, _, b) = send(
        api.req(Method::POST, "/api/whoami", Some(&alice))
            .json(&json!({"greeting": "x".repeat(41)})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            400,
            json!({"error": "greeting must be at most 40 characters long"})
        )
    );
    // A sql endpoint: a function with typed parameters.
    let (s, _, _) = send(
        api.req(Method::POST, "/api/example/agents", Some(&alice))
            .json(&json!({"name": "one", "framework": "google"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _, b) = send(api.req(
        Method::GET,
        "/api/example/agents/count?framework=google",
        Some(&alice),
    ))
    .await;
    assert_eq!((s, b), (200, json!(1)));
    let (s, _, b) = send(api.req(
        Method::GET,
        "/api/example/agents/count?kind=x",
        Some(&alice),
    ))
    .await;
    assert_eq!(s, 404, "{b}");
}
