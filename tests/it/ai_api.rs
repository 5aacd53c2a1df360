//! The typed agents API over the `ai` schema: agent CRUD, tool, knowledge base and MCP
//! server assignments, hooks, sessions and run lookup, with the seed's statuses and
//! `{"error": ...}` bodies.

use crate::harness::{TestApp, User, send};
use reqwest::Method;
use serde_json::{Value, json};

fn api(app: &TestApp, m: Method, path: &str, user: &User) -> reqwest::RequestBuilder {
    app.http
        .request(m, format!("{}{path}", app.base))
        .header("apikey", app.anon_key())
        .header("authorization", format!("Bearer {}", user.token))
}

async fn created(app: &TestApp, path: &str, user: &User, body: Value) -> Value {
    let (s, _, b) = send(api(app, Method::POST, path, user).json(&body)).await;
    assert_eq!(s, 201, "{path}: {b}");
    b
}

#[tokio::test]
async fn agents_and_their_assignments() {
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    // The platform's builtin tools, as service_role would seed them.
    let (s, _, _) = send(
        app.rest(Method::POST, "tools", Some(&app.service_key()))
            .header("content-profile", "ai")
            .json(&json!([{"name": "database_query", "type": "builtin"}, {"name": "web_search", "type": "builtin"}])),
    )
    .await;
    assert_eq!(s, 201);

    // Agent CRUD.
    let agent = created(&app, "/api/agents", &alice, json!({"name": "My Agent", "model": "gpt-4o", "system_prompt": "You are helpful.", "settings": {"temperature": 0.7}})).await;
    let id = agent["id"].as_str().unwrap().to_string();
    assert_eq!(agent["user_id"], json!(alice.id));
    let (s, _, list) = send(api(&app, Method::GET, "/api/agents", &alice)).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(1)));
    let (s, _, b) = send(
        api(&app, Method::PATCH, &format!("/api/agents/{id}"), &alice)
            .json(&json!({"settings": {"temperature": 0.5}})),
    )
    .await;
    assert_eq!(
        (s, b["settings"].clone()),
        (200, json!({"temperature": 0.5}))
    );
    let (s, _, b) = send(api(&app, Method::GET, &format!("/api/agents/{id}"), &bob)).await;
    assert_eq!((s, b), (404, json!({"error": "Agent not found"})));
    let (s, _, b) =
        send(api(&app, Method::POST, "/api/agents", &alice).json(&json!({"model": "x"}))).await;
    assert_eq!(s, 400, "{b}");
    assert!(b["error"].as_str().unwrap().contains("name is required"));

    // Tool assignments by tool_name; PATCH reads only config_override.
    let tools = format!("/api/agents/{id}/tools");
    let a = created(&app, &tools, &alice, json!({"tool_name": "database_query"})).await;
    let item = format!("{tools}/{}", a["id"].as_str().unwrap());
    let (s, _, b) =
        send(api(&app, Method::POST, &tools, &alice).json(&json!({"tool_name": "database_query"})))
            .await;
    assert_eq!(
        (s, b),
        (409, json!({"error": "Tool already assigned to this agent"}))
    );
    let (s, _, b) = send(api(&app, Method::POST, &tools, &alice).json(&json!({}))).await;
    assert_eq!((s, b), (400, json!({"error": "tool_name is required"})));
    let (s, _, b) = send(
        api(&app, Method::PATCH, &item, &alice)
            .json(&json!({"config_override": {"schemas": {"public": ["users", "orders"]}}})),
    )
    .await;
    assert_eq!(
        (s, b["config_override"].clone()),
        (200, json!({"schemas": {"public": ["users", "orders"]}}))
    );
    let (s, _, b) =
        send(api(&app, Method::PATCH, &item, &alice).json(&json!({"config": {"x": 1}}))).await;
    assert_eq!(
        (s, b["config_override"].clone()),
        (200, json!({"schemas": {"public": ["users", "orders"]}}))
    );
    let (s, _, b) = send(
        api(&app, Method::PATCH, &item, &alice)
            .json(&json!({"config_override": {"schemas": {"auth": ["users"]}}})),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    let (s, _, _) = send(api(&app, Method::GET, &tools, &bob)).await;
    assert_eq!(s, 404);

    // Knowledge bases: a second assignment of the same one is a 409.
    let kb = created(
        &app,
        "/api/knowledge-bases",
        &alice,
        json!({"name": "Docs"}),
    )
    .await;
    let kbs = format!("/api/agents/{id}/knowledge-bases");
    created(&app, &kbs, &alice, json!({"knowledge_base_id": kb["id"]})).await;
    let (s, _, b) =
        send(api(&app, Method::POST, &kbs, &alice).json(&json!({"knowledge_base_id": kb["id"]})))
            .await;
    assert_eq!(
        (s, b),
        (
            409,
            json!({"error": "Knowledge base already assigned to this agent"})
        )
    );
    let (s, _, b) = send(api(&app, Method::POST, &kbs, &alice).json(&json!({}))).await;
    assert_eq!(s, 400, "{b}");

    // MCP servers: one name per agent; PUT updates.
    let mcps = format!("/api/agents/{id}/mcp-servers");
    let server = created(
        &app,
        &mcps,
        &alice,
        json!({"name": "files", "url": "http://127.0.0.1:9/mcp"}),
    )
    .await;
    let (s, _, b) = send(
        api(&app, Method::POST, &mcps, &alice)
            .json(&json!({"name": "files", "url": "http://127.0.0.1:9/other"})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            409,
            json!({"error": "An MCP server with this name is already assigned to this agent"})
        )
    );
    let (s, _, b) = send(
        api(
            &app,
            Method::PUT,
            &format!("{mcps}/{}", server["id"].as_str().unwrap()),
            &alice,
        )
        .json(&json!({"url": "http://127.0.0.1:9/v2", "enabled": false})),
    )
    .await;
    assert_eq!(
        (s, b["url"].clone(), b["enabled"].clone()),
        (200, json!("http://127.0.0.1:9/v2"), json!(false))
    );
    let (s, _, _) =
        send(api(&app, Method::POST, &mcps, &alice).json(&json!({"name": "no-url"}))).await;
    assert_eq!(s, 400);

    // Hooks: event and type are checked.
    let hooks = format!("/api/agents/{id}/hooks");
    created(&app, &hooks, &alice, json!({"event": "before_tool_call", "type": "approval", "config": {"tools": ["database_query"]}})).await;
    let (s, _, b) = send(
        api(&app, Method::POST, &hooks, &alice)
            .json(&json!({"event": "whenever", "type": "approval"})),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("event must be one of"),
        "{b}"
    );
    let (s, _, _) =
        send(api(&app, Method::POST, &hooks, &alice).json(&json!({"event": "on_error"}))).await;
    assert_eq!(s, 400);
    // A webhook needs a URL.
    let (s, _, b) = send(
        api(&app, Method::POST, &hooks, &alice)
            .json(&json!({"event": "after_run", "type": "webhook", "config": {}})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            400,
            json!({"error": "config.url must be an http(s) URL for a webhook hook"})
        )
    );
    created(&app, &hooks, &alice, json!({"event": "after_run", "type": "webhook", "config": {"url": "https://hooks.example.com/run", "headers": {"x-token": "t"}}})).await;
    let (s, _, b) = send(
        api(&app, Method::POST, &hooks, &alice)
            .json(&json!({"event": "after_run", "type": "approval", "config": {"tools": [1]}})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            400,
            json!({"error": "config.tools must be a list of tool names"})
        )
    );

    // Custom tools are HTTP calls with an endpoint, a method and headers.
    let custom = json!({"name": "weather", "type": "custom", "config": {"endpoint": "https://api.example.com/weather", "method": "GET", "headers": {"accept": "application/json"}}});
    created(&app, "/api/tools", &alice, custom).await;
    for (config, message) in [
        (
            json!({"method": "GET"}),
            "config.endpoint must be an http(s) URL for a custom tool",
        ),
        (
            json!({"endpoint": "https://x.example.com", "method": "FETCH"}),
            "config.method must be one of GET, POST, PUT, PATCH, DELETE",
        ),
        (
            json!({"endpoint": "https://x.example.com", "headers": {"a": 1}}),
            "config.headers must be an object of strings",
        ),
    ] {
        let (s, _, b) = send(
            api(&app, Method::POST, "/api/tools", &alice)
                .json(&json!({"name": "bad", "type": "custom", "config": config})),
        )
        .await;
        assert_eq!((s, b), (400, json!({"error": message})));
    }

    // Deleting the agent answers 204, then 404.
    let (s, _, _) = send(api(
        &app,
        Method::DELETE,
        &format!("/api/agents/{id}"),
        &alice,
    ))
    .await;
    assert_eq!(s, 204);
    let (s, _, _) = send(api(&app, Method::GET, &tools, &alice)).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn sessions_and_run_lookup_are_the_callers() {
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    let agent = created(&app, "/api/agents", &alice, json!({"name": "Runner"})).await;
    let id = agent["id"].as_str().unwrap();
    let session: String = sqlx::query_scalar("insert into ai.agent_sessions (agent_id, user_id, title) values ($1::uuid, $2::uuid, 'chat') returning id::text")
        .bind(id)
        .bind(&alice.id)
        .fetch_one(&app.admin)
        .await
        .unwrap();
    let run: String = sqlx::query_scalar(
        "insert into ai.agent_runs (agent_id, session_id, user_id, status, content) values ($1::uuid, $2::uuid, $3::uuid, 'completed', 'done') returning run_id::text",
    )
    .bind(id)
    .bind(&session)
    .bind(&alice.id)
    .fetch_one(&app.admin)
    .await
    .unwrap();

    let (s, _, list) = send(api(
        &app,
        Method::GET,
        &format!("/api/agents/{id}/sessions"),
        &alice,
    ))
    .await;
    assert_eq!((s, list[0]["title"].clone()), (200, json!("chat")));
    let (s, _, _) = send(api(
        &app,
        Method::GET,
        &format!("/api/agents/{id}/sessions"),
        &bob,
    ))
    .await;
    assert_eq!(s, 404);

    let (s, _, r) = send(api(
        &app,
        Method::GET,
        &format!("/api/agents/runs/{run}"),
        &alice,
    ))
    .await;
    assert_eq!(s, 200, "{r}");
    for field in [
        "id",
        "run_id",
        "session_id",
        "parent_orchestration_run_id",
        "parent_workflow_execution_id",
        "status",
        "input_messages",
        "output_messages",
        "content",
        "usage",
        "retrieved_context",
        "error",
        "started_at",
        "completed_at",
        "steps",
        "events",
        "tool_calls",
        "reasoning_steps",
        "created_at",
    ] {
        assert!(r.get(field).is_some(), "run field {field} in {r}");
    }
    assert_eq!(
        (r["status"].clone(), r["content"].clone()),
        (json!("completed"), json!("done"))
    );
    // Someone else's run is a 404, not a 403, and so is an unknown one.
    let (s, _, b) = send(api(
        &app,
        Method::GET,
        &format!("/api/agents/runs/{run}"),
        &bob,
    ))
    .await;
    assert_eq!((s, b), (404, json!({"error": "Run not found"})));
    let (s, _, _) = send(api(
        &app,
        Method::GET,
        &format!("/api/agents/runs/{}", uuid::Uuid::new_v4()),
        &alice,
    ))
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn provider_keys_are_sealed_and_never_answered() {
    let app = TestApp::start().await;
    let service = User {
        id: String::new(),
        token: app.service_key(),
    };
    let key = "sk-test-secret-abcd1234";
    let created = created(
        &app,
        "/api/provider-keys",
        &service,
        json!({"provider": "openai", "api_key": key}),
    )
    .await;
    assert_eq!(created["key_hint"], "1234");
    assert!(
        created.get("encrypted_key").is_none() && created.get("api_key").is_none(),
        "{created}"
    );
    let id = created["id"].as_str().unwrap().to_string();
    let (_, _, list) = send(api(&app, Method::GET, "/api/provider-keys", &service)).await;
    assert!(
        !list.to_string().contains(key) && !list.to_string().contains("encrypted_key"),
        "{list}"
    );

    // At rest: sealed under the project's key, not the plain text.
    let stored: String =
        sqlx::query_scalar("select encrypted_key from ai.ai_provider_keys where id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.admin)
            .await
            .unwrap();
    assert!(
        stored.starts_with("v1:") && !stored.contains(key),
        "{stored}"
    );
    assert_eq!(app.jwt.sealing_key().open(&stored).unwrap(), key);
    // Even service_role through /rest/v1 sees only the sealed value.
    let (_, _, rows) = send(
        app.rest(Method::GET, "ai_provider_keys", Some(&app.service_key()))
            .header("accept-profile", "ai"),
    )
    .await;
    assert!(!rows.to_string().contains(key), "{rows}");

    // Replacing the key seals the new one.
    let (s, _, b) = send(
        api(
            &app,
            Method::PATCH,
            &format!("/api/provider-keys/{id}"),
            &service,
        )
        .json(&json!({"api_key": "sk-new-9876"})),
    )
    .await;
    assert_eq!((s, b["key_hint"].clone()), (200, json!("9876")));
    let (s, _, b) = send(
        api(&app, Method::POST, "/api/provider-keys", &service)
            .json(&json!({"provider": "openai", "api_key": ""})),
    )
    .await;
    assert_eq!(
        (s, b),
        (400, json!({"error": "api_key must be a non-empty string"}))
    );

    // Signed-in users cannot reach provider keys at all.
    let user = app.user("user@example.com").await;
    let (s, _, _) = send(
        api(&app, Method::POST, "/api/provider-keys", &user)
            .json(&json!({"provider": "openai", "api_key": "x"})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = send(api(&app, Method::GET, "/api/provider-keys", &user)).await;
    assert_eq!(s, 403);
}

/// The stored value at `column` (a JSON column) of one row, as the database holds it.
async fn stored(app: &TestApp, table: &str, column: &str, id: &str) -> Value {
    sqlx::query_scalar(&format!(
        "select {column} from ai.{table} where id = $1::uuid"
    ))
    .bind(id)
    .fetch_one(&app.admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn header_credentials_are_sealed_and_answered_masked() {
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let key = app.jwt.sealing_key().clone();
    let agent = created(&app, "/api/agents", &alice, json!({"name": "Caller"})).await;
    let id = agent["id"].as_str().unwrap();

    // MCP servers: every header value is sealed; answers show "••••" and, for values of
    // twelve characters or more, their last four.
    let mcps = format!("/api/agents/{id}/mcp-servers");
    let token = "Bearer mcp-token-12345678";
    let server = created(
        &app,
        &mcps,
        &alice,
        json!({"name": "files", "url": "https://mcp.example.com", "headers": {"authorization": token, "x-team": "abc"}}),
    )
    .await;
    let masked = json!({"authorization": "••••5678", "x-team": "••••"});
    assert_eq!(server["headers"], masked);
    let server_id = server["id"].as_str().unwrap().to_string();
    let item = format!("{mcps}/{server_id}");
    let at_rest = stored(&app, "agent_mcp_servers", "headers", &server_id).await;
    assert!(
        at_rest["authorization"]
            .as_str()
            .unwrap()
            .starts_with("v1:")
            && !at_rest.to_string().contains("mcp-token")
            && !at_rest.to_string().contains("abc"),
        "{at_rest}"
    );
    let opened = key.open_object(&at_rest).unwrap();
    assert_eq!(
        (opened["authorization"].as_str(), opened["x-team"].as_str()),
        (token, "abc")
    );
    let (s, _, b) = send(api(&app, Method::GET, &item, &alice)).await;
    assert_eq!((s, b["headers"].clone()), (200, masked.clone()));
    let (s, _, b) = send(api(&app, Method::GET, &mcps, &alice)).await;
    assert_eq!((s, b[0]["headers"].clone()), (200, masked.clone()));

    // A PUT without headers leaves them as they are.
    let (s, _, b) =
        send(api(&app, Method::PUT, &item, &alice).json(&json!({"enabled": false}))).await;
    assert_eq!((s, b["headers"].clone()), (200, masked.clone()));
    assert_eq!(
        stored(&app, "agent_mcp_servers", "headers", &server_id).await,
        at_rest
    );

    // GET, then PUT back: a masked value keeps the stored one, a key left out is removed,
    // and a new value is sealed.
    let (s, _, b) = send(
        api(&app, Method::PUT, &item, &alice).json(&json!({"headers": {
            "authorization": "••••5678",
            "x-new": "a-new-secret-value",
        }})),
    )
    .await;
    assert_eq!(
        (s, b["headers"].clone()),
        (
            200,
            json!({"authorization": "••••5678", "x-new": "••••alue"})
        )
    );
    let after = stored(&app, "agent_mcp_servers", "headers", &server_id).await;
    assert_eq!(
        after["authorization"], at_rest["authorization"],
        "kept as stored"
    );
    assert!(after.get("x-team").is_none(), "{after}");
    assert_eq!(
        key.open_object(&after).unwrap()["x-new"],
        "a-new-secret-value"
    );
    // The short value's bare mask round-trips too.
    let (s, _, _) = send(
        api(&app, Method::PUT, &item, &alice)
            .json(&json!({"headers": {"authorization": "••••5678", "x-new": "••••alue"}})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        stored(&app, "agent_mcp_servers", "headers", &server_id).await,
        after
    );
    // Replacing a value with a plain one seals the new one.
    let (s, _, b) = send(
        api(&app, Method::PUT, &item, &alice)
            .json(&json!({"headers": {"authorization": "Bearer rotated-00009999"}})),
    )
    .await;
    assert_eq!(
        (s, b["headers"].clone()),
        (200, json!({"authorization": "••••9999"}))
    );
    let rotated = stored(&app, "agent_mcp_servers", "headers", &server_id).await;
    assert_eq!(
        key.open_object(&rotated).unwrap()["authorization"],
        "Bearer rotated-00009999"
    );

    // Refused: a mask that matches nothing stored, values that are not strings, headers
    // that are not an object. Nothing changes.
    for (method, path, body, message) in [
        (
            Method::PUT,
            item.as_str(),
            json!({"headers": {"authorization": "••••5678"}}),
            "headers.authorization is a masked value that matches no stored value; send the plain value",
        ),
        (
            Method::POST,
            mcps.as_str(),
            json!({"name": "masked", "url": "https://x.example.com", "headers": {"authorization": "••••"}}),
            "headers.authorization is a masked value that matches no stored value; send the plain value",
        ),
        (
            Method::POST,
            mcps.as_str(),
            json!({"name": "numbers", "url": "https://x.example.com", "headers": {"x-retries": 3}}),
            "headers.x-retries must be a string",
        ),
        (
            Method::PUT,
            item.as_str(),
            json!({"headers": ["authorization"]}),
            "headers must be an object of strings",
        ),
    ] {
        let (s, _, b) = send(api(&app, method, path, &alice).json(&body)).await;
        assert_eq!((s, b), (400, json!({"error": message})), "{body}");
    }
    assert_eq!(
        stored(&app, "agent_mcp_servers", "headers", &server_id).await,
        rotated
    );

    // Custom tools: config.headers, the rest of config as sent.
    let tool = created(
        &app,
        "/api/tools",
        &alice,
        json!({"name": "weather", "type": "custom", "config": {
            "endpoint": "https://api.example.com/weather",
            "method": "GET",
            "headers": {"authorization": "Bearer tool-token-87654321", "accept": "application/json"},
        }}),
    )
    .await;
    let config = json!({
        "endpoint": "https://api.example.com/weather",
        "method": "GET",
        "headers": {"authorization": "••••4321", "accept": "••••json"},
    });
    assert_eq!(tool["config"], config);
    let tool_id = tool["id"].as_str().unwrap().to_string();
    let tool_item = format!("/api/tools/{tool_id}");
    let tool_rest = stored(&app, "tools", "config", &tool_id).await;
    assert_eq!(tool_rest["endpoint"], "https://api.example.com/weather");
    assert!(!tool_rest.to_string().contains("tool-token"), "{tool_rest}");
    assert_eq!(
        key.open_object(&tool_rest["headers"]).unwrap()["authorization"],
        "Bearer tool-token-87654321"
    );
    let (s, _, b) = send(api(&app, Method::GET, &tool_item, &alice)).await;
    assert_eq!((s, b["config"].clone()), (200, config.clone()));
    let (s, _, b) = send(api(&app, Method::GET, "/api/tools", &alice)).await;
    assert_eq!((s, b[0]["config"].clone()), (200, config.clone()));
    // PATCH what was read, with another endpoint: the headers stay as stored.
    let mut changed = config.clone();
    changed["endpoint"] = json!("https://api.example.com/v2/weather");
    let (s, _, b) =
        send(api(&app, Method::PATCH, &tool_item, &alice).json(&json!({"config": changed}))).await;
    assert_eq!((s, b["config"].clone()), (200, changed));
    let tool_after = stored(&app, "tools", "config", &tool_id).await;
    assert_eq!(tool_after["headers"], tool_rest["headers"]);
    assert_eq!(tool_after["endpoint"], "https://api.example.com/v2/weather");

    // Webhooks: config.headers as well.
    let hook = created(
        &app,
        &format!("/api/agents/{id}/hooks"),
        &alice,
        json!({"event": "after_run", "type": "webhook", "config": {"url": "https://hooks.example.com/run", "headers": {"x-token": "hook-secret-24682468"}}}),
    )
    .await;
    assert_eq!(
        hook["config"],
        json!({"url": "https://hooks.example.com/run", "headers": {"x-token": "••••2468"}})
    );
    let hook_rest = stored(&app, "hooks", "config", hook["id"].as_str().unwrap()).await;
    assert_eq!(
        key.open_object(&hook_rest["headers"]).unwrap()["x-token"],
        "hook-secret-24682468"
    );
}
